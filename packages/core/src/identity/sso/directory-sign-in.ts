import type { Connector, SignInProvider } from "@roster/connector-kit";
import { type Connection, connections, type SignInMethod, tenants, users } from "@roster/db";
import { and, eq, isNull } from "drizzle-orm";
import * as oidc from "openid-client";
import type { CoreDeps } from "../../context.ts";
import { DomainError } from "../../errors.ts";
import { issueSession } from "../sessions.ts";
import { classifyOidcError, refuse, type SignInFailure } from "./failures.ts";
import { createOidcConfigurations, type OidcClient } from "./oidc-configurations.ts";
import { consumeTransaction, openTransaction } from "./transactions.ts";

/** The scopes Entra needs for `oid` and `preferred_username`; Google for `sub`, `email`, `hd`. */
const SCOPES = "openid profile email";

/** Parameters the flow owns: a provider's `authorizationParams` never set these. */
const FLOW_PARAMS = new Set([
  "client_id",
  "redirect_uri",
  "response_type",
  "response_mode",
  "scope",
  "code_challenge",
  "code_challenge_method",
  "state",
  "nonce",
  "login_hint",
]);

const providerParams = (entry: { provider: SignInProvider; settings: Record<string, unknown> }) =>
  Object.fromEntries(
    Object.entries(entry.provider.authorizationParams?.(entry.settings) ?? {}).filter(
      ([name]) => !FLOW_PARAMS.has(name),
    ),
  );

export type DirectorySignInOptions = {
  /** The redirect URI registered with the directory: `{publicUrl}/api/auth/sso/{id}/callback`. */
  redirectUriOf(provider: string): string;
};

type Usable = {
  connection: Connection;
  connector: Connector;
  provider: SignInProvider;
  settings: Record<string, unknown>;
  client: OidcClient;
};

/**
 * Sign in through the directory (spec §4.10), for any connector with a `signInProvider`:
 * the authorization code flow with PKCE (S256), state and nonce through openid-client,
 * one single-use transaction per attempt, and the same session as password sign-in.
 * Nothing here knows a provider: the connector names the OIDC client and the user.
 */
export function createDirectorySignIn(options: DirectorySignInOptions) {
  const configurations = createOidcConfigurations();

  /** A connection that can sign users in now, with its connector and OIDC client. */
  const usable = (deps: CoreDeps, connection: Connection): Usable | null => {
    if (connection.status !== "connected") return null;
    const connector = deps.connectors.get(connection.type);
    const provider = connector?.signInProvider;
    if (!connector || !provider) return null;
    const parsed = connector.settings.safeParse(connection.settings);
    if (!parsed.success) return null;
    const settings = parsed.data as Record<string, unknown>;
    const client = provider.oidcClient(settings, deps.keyring.decrypt(connection.secretCiphertext));
    return client ? { connection, connector, provider, settings, client } : null;
  };

  const tenantBySlug = async (deps: CoreDeps, slug: string) => {
    const [tenant] = await deps.db.db
      .select()
      .from(tenants)
      .where(eq(tenants.slug, slug.trim().toLowerCase()));
    return tenant ?? null;
  };

  const usableOfTenant = async (deps: CoreDeps, tenantId: string) => {
    const rows = await deps.db.db
      .select()
      .from(connections)
      .where(eq(connections.tenantId, tenantId))
      .orderBy(connections.createdAt, connections.id);
    return rows.map((row) => usable(deps, row)).filter((entry) => entry !== null);
  };

  return {
    redirectUriOf: options.redirectUriOf,

    /** `GET /api/auth/providers`: the buttons of a tenant's sign-in page (public). */
    async providers(deps: CoreDeps, tenantSlug: string) {
      const tenant = await tenantBySlug(deps, tenantSlug);
      if (!tenant) return [];
      return (await usableOfTenant(deps, tenant.id)).map((entry) => ({
        provider: entry.provider.id,
        connectionId: entry.connection.id,
        label: entry.provider.label,
      }));
    },

    /**
     * The authorization URL and the cookie value binding this browser to the attempt.
     * Looks up no user: `loginHint` is passed on as it is.
     */
    async start(
      deps: CoreDeps,
      input: {
        tenant: string;
        provider: string;
        connectionId?: string;
        loginHint?: string;
        returnTo: string;
      },
    ): Promise<{ ok: true; url: string; cookie: string; expiresAt: Date } | SignInFailure> {
      const tenant = await tenantBySlug(deps, input.tenant);
      const candidates = tenant
        ? (await usableOfTenant(deps, tenant.id)).filter(
            (entry) =>
              entry.provider.id === input.provider &&
              (!input.connectionId || entry.connection.id === input.connectionId),
          )
        : [];
      const [entry, ...others] = candidates;
      if (!tenant || !entry) {
        throw new DomainError(
          "not_found",
          `Sign-in with ${input.provider} is not set up for this tenant.`,
        );
      }
      if (others.length > 0) {
        throw new DomainError(
          "validation_failed",
          "This tenant has several connections for this provider; name one.",
          [
            {
              path: ["connection"],
              message: `One of: ${candidates.map((c) => c.connection.id).join(", ")}`,
            },
          ],
        );
      }
      let config: oidc.Configuration;
      try {
        config = await configurations.get(entry.connection.id, entry.client);
      } catch (error) {
        const failure = classifyOidcError(error);
        deps.log.warn("directory sign-in unavailable", {
          tenantId: tenant.id,
          connectionId: entry.connection.id,
          reason: failure.message,
        });
        return refuse("sso_unavailable", failure.message);
      }
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        ...providerParams(entry),
        redirect_uri: options.redirectUriOf(entry.provider.id),
        response_type: "code",
        response_mode: "query",
        scope: SCOPES,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: "S256",
        state,
        nonce,
        ...(input.loginHint ? { login_hint: input.loginHint } : {}),
      });
      const { token, expiresAt } = await openTransaction(deps, {
        tenantId: tenant.id,
        connectionId: entry.connection.id,
        provider: entry.provider.id,
        state,
        nonce,
        codeVerifier,
        returnTo: input.returnTo,
      });
      return { ok: true, url: url.href, cookie: token, expiresAt };
    },

    /**
     * The callback: consumes the transaction once, redeems the code, checks the ID token
     * (signature against the JWKS, issuer, audience, nonce, expiry), lets the connector
     * name the user, and accepts only an active user synced by that connection who signs
     * in with this provider.
     */
    async complete(
      deps: CoreDeps,
      input: { provider: string; cookie: string | undefined; callbackUrl: URL },
    ) {
      const result = await completeSignIn(deps, input);
      if (result.ok) {
        deps.log.info("directory sign-in", {
          tenantId: result.tenantId,
          userId: result.session.user.id,
          provider: input.provider,
        });
      } else {
        deps.log.warn("directory sign-in refused", {
          provider: input.provider,
          code: result.code,
          reason: result.message,
        });
      }
      return result;
    },
  };

  async function completeSignIn(
    deps: CoreDeps,
    input: { provider: string; cookie: string | undefined; callbackUrl: URL },
  ) {
    const expired = refuse(
      "sso_expired",
      "No sign-in is in progress in this browser, or it expired.",
    );
    if (!input.cookie) return expired;
    const transaction = await consumeTransaction(deps, input.cookie);
    if (!transaction || transaction.provider !== input.provider) return expired;
    // Checked here, before openid-client: it would report a mismatch like any bad response.
    if (input.callbackUrl.searchParams.get("state") !== transaction.state) {
      return refuse(
        "sso_expired",
        "The sign-in response belongs to another attempt (state mismatch).",
      );
    }
    const [connection] = await deps.db.db
      .select()
      .from(connections)
      .where(
        and(
          eq(connections.id, transaction.connectionId),
          eq(connections.tenantId, transaction.tenantId),
        ),
      );
    const entry = connection ? usable(deps, connection) : null;
    if (!entry || entry.provider.id !== input.provider) {
      return refuse("sso_unavailable", "The connection no longer signs users in.");
    }
    let claims: Record<string, unknown>;
    try {
      const config = await configurations.get(entry.connection.id, entry.client);
      const tokens = await oidc.authorizationCodeGrant(config, input.callbackUrl, {
        pkceCodeVerifier: transaction.codeVerifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
      claims = { ...tokens.claims() };
    } catch (error) {
      return classifyOidcError(error);
    }
    const identified = entry.provider.identify(claims, entry.settings);
    if (!identified.ok) return refuse(identified.code, identified.message);
    const [user] = await deps.db.db
      .select({ id: users.id, tenantId: users.tenantId })
      .from(users)
      .where(
        and(
          eq(users.tenantId, transaction.tenantId),
          eq(users.connectionId, entry.connection.id),
          eq(users.externalId, identified.externalId),
          eq(users.signIn, entry.provider.id as SignInMethod),
          isNull(users.deletedAt),
        ),
      );
    if (!user) {
      return refuse(
        "sso_not_synced",
        "The directory signed this person in, but no active user of this connection matches.",
      );
    }
    const session = await issueSession(deps, user);
    return {
      ok: true as const,
      tenantId: user.tenantId,
      session,
      returnTo: transaction.returnTo,
    };
  }
}

export type DirectorySignIn = ReturnType<typeof createDirectorySignIn>;
