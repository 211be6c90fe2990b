import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { errorPage } from "./errors.ts";
import type { SimGoogle, SimOAuthClient, SimWorkspace } from "./model.ts";
import type { AccessTokens, AuthorizationCodes, IdTokenSigner } from "./tokens.ts";

export type SignInDeps = {
  google: SimGoogle;
  codes: AuthorizationCodes;
  tokens: AccessTokens;
  idTokens: IdTokenSigner;
  /** The issuer and the origin of every endpoint (the simulator serves them all). */
  origin: () => string;
};

type PendingRequest = {
  client: SimOAuthClient;
  workspace: SimWorkspace;
  redirectUri: string;
  scope: string;
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  loginHint?: string;
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Sign in with Google as an OpenID Connect provider
 * (developers.google.com/identity/openid-connect/openid-connect): discovery (the document
 * at https://accounts.google.com/.well-known/openid-configuration, captured in
 * panva/wellknown issuers/google), the authorization endpoint with an account picker, the
 * JWKS and userinfo. The code grant itself is on `/token` (oauth.ts).
 */
export function signInRoutes(deps: SignInDeps) {
  const app = new Hono();
  const pending = new Map<string, PendingRequest>();

  app.get("/.well-known/openid-configuration", (c) => {
    const origin = deps.origin();
    return c.json({
      issuer: origin,
      authorization_endpoint: `${origin}/o/oauth2/v2/auth`,
      device_authorization_endpoint: `${origin}/device/code`,
      token_endpoint: `${origin}/token`,
      userinfo_endpoint: `${origin}/v1/userinfo`,
      revocation_endpoint: `${origin}/revoke`,
      jwks_uri: `${origin}/oauth2/v3/certs`,
      response_types_supported: [
        "code",
        "token",
        "id_token",
        "code token",
        "code id_token",
        "token id_token",
        "code token id_token",
        "none",
      ],
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      scopes_supported: ["openid", "email", "profile"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      claims_supported: [
        "aud",
        "email",
        "email_verified",
        "exp",
        "family_name",
        "given_name",
        "iat",
        "iss",
        "name",
        "picture",
        "sub",
      ],
      code_challenge_methods_supported: ["plain", "S256"],
      grant_types_supported: [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
      ],
    });
  });

  app.get("/oauth2/v3/certs", (c) => c.json(deps.idTokens.jwks()));

  app.get("/v1/userinfo", (c) => {
    const token = (c.req.header("authorization") ?? "").replace(/^Bearer /, "");
    const grant = deps.tokens.find(token);
    if (grant?.kind !== "user") {
      return c.json({ error: "invalid_request", error_description: "Invalid Credentials" }, 401);
    }
    return c.json({ sub: grant.sub });
  });

  /**
   * Client and redirect URI errors show Google's own page and never redirect
   * (developers.google.com/identity/protocols/oauth2/web-server#authorization-errors:
   * `redirect_uri_mismatch`, `invalid_client`, `org_internal`); the rest redirect.
   */
  app.get("/o/oauth2/v2/auth", (c) => {
    const query = c.req.query();
    const found = deps.google.findOAuthClient(query.client_id ?? "");
    if (!found) {
      return errorPage(401, "invalid_client", "The OAuth client was not found.");
    }
    const redirectUri = query.redirect_uri ?? "";
    if (!found.client.redirectUris.includes(redirectUri)) {
      return errorPage(
        400,
        "redirect_uri_mismatch",
        `You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. If you're the app developer, register the redirect URI in the Google Cloud Console. Request details: redirect_uri=${redirectUri}`,
      );
    }
    const back = (params: Record<string, string | undefined>) => redirectTo(redirectUri, params);
    if (query.response_type !== "code") {
      return back({ error: "unsupported_response_type", state: query.state });
    }
    const scope = query.scope ?? "";
    if (!scope.split(/\s+/).includes("openid")) {
      return back({ error: "invalid_scope", state: query.state });
    }
    const method = query.code_challenge_method ?? (query.code_challenge ? "plain" : undefined);
    if (method !== undefined && method !== "S256" && method !== "plain") {
      return back({ error: "invalid_request", state: query.state });
    }
    const id = randomBytes(16).toString("base64url");
    pending.set(id, {
      client: found.client,
      workspace: found.workspace,
      redirectUri,
      scope,
      state: query.state,
      nonce: query.nonce,
      codeChallenge: query.code_challenge,
      codeChallengeMethod: method,
      loginHint: query.login_hint,
    });
    return c.html(picker(id, found.workspace, query.login_hint, query.hd));
  });

  /** The picker's answer: an account (by address) or `cancel`. */
  app.post("/o/oauth2/v2/auth/choose", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const request = pending.get(form.get("request") ?? "");
    if (!request) return errorPage(400, "invalid_request", "The sign-in request expired.");
    pending.delete(form.get("request") ?? "");
    const back = (params: Record<string, string | undefined>) =>
      redirectTo(request.redirectUri, params);
    if (form.get("cancel") !== null) {
      return back({ error: "access_denied", state: request.state });
    }
    const email = (form.get("account") ?? "").trim();
    const claims = claimsFor(deps.google, email, request.scope);
    if (!claims) {
      return errorPage(400, "invalid_request", `Couldn't find your Google Account: ${email}`);
    }
    if (request.client.internal && claims.hd !== request.workspace.primaryDomain) {
      return errorPage(
        403,
        "org_internal",
        "This client is restricted to users within its organization.",
      );
    }
    if (claims.suspended) {
      return errorPage(403, "access_denied", "Your account has been suspended.");
    }
    const code = deps.codes.issue({
      clientId: request.client.clientId,
      redirectUri: request.redirectUri,
      scope: request.scope,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      claims: claims.idToken,
    });
    return back({
      state: request.state,
      code,
      scope: request.scope,
      authuser: "0",
      hd: claims.hd,
      prompt: "consent",
    });
  });

  return app;
}

function redirectTo(uri: string, params: Record<string, string | undefined>): Response {
  const url = new URL(uri);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined) url.searchParams.set(key, value);
  }
  return new Response(null, { status: 302, headers: { location: url.href } });
}

/**
 * ID-token claims Google issues (developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload):
 * `sub` is the account id, which for a Workspace user is its Directory API `id`; `hd` only
 * for Workspace accounts; `email_verified` a Boolean; names only with `profile`.
 */
function claimsFor(google: SimGoogle, email: string, scope: string) {
  const scopes = scope.split(/\s+/);
  const account = google.findAccount(email);
  if (account) {
    const { user, workspace } = account;
    const name = user.name ?? {};
    return {
      hd: workspace.primaryDomain,
      suspended: user.suspended || user.archived,
      idToken: {
        sub: user.id,
        hd: workspace.primaryDomain,
        ...(scopes.includes("email")
          ? { email: user.primaryEmail, email_verified: user.emailVerified ?? true }
          : {}),
        ...(scopes.includes("profile")
          ? {
              ...(name.fullName ? { name: name.fullName } : {}),
              ...(name.givenName ? { given_name: name.givenName } : {}),
              ...(name.familyName ? { family_name: name.familyName } : {}),
            }
          : {}),
      },
    };
  }
  const consumer = [...google.consumers.values()].find(
    (candidate) => candidate.email.toLowerCase() === email.toLowerCase(),
  );
  if (!consumer) return undefined;
  return {
    hd: undefined,
    suspended: false,
    idToken: {
      sub: consumer.sub,
      ...(scopes.includes("email")
        ? { email: consumer.email, email_verified: consumer.emailVerified }
        : {}),
      ...(scopes.includes("profile") ? { name: consumer.name } : {}),
    },
  };
}

/**
 * The account chooser. `hd` "streamlines the login process for Google Cloud organization
 * accounts": only that domain's accounts are offered (`*`: any organization's), though any
 * account can still be typed in, which is why the relying party checks the token's `hd`
 * (developers.google.com/identity/openid-connect/openid-connect#hd-param).
 */
function picker(
  requestId: string,
  workspace: SimWorkspace,
  loginHint?: string,
  hd?: string,
): string {
  const offered = hd === undefined || hd === "*" || workspace.ownsDomain(`x@${hd}`);
  const shown = [...workspace.sortedUsers()]
    .filter((user) => offered && !user.suspended && !user.archived)
    .slice(0, 20);
  const buttons = shown
    .map(
      (user) =>
        `<li><button name="account" value="${escapeHtml(user.primaryEmail)}">${escapeHtml(user.name?.fullName ?? user.primaryEmail)} &lt;${escapeHtml(user.primaryEmail)}&gt;</button></li>`,
    )
    .join("");
  return `<!doctype html><html><head><title>Sign in – Google Accounts (simulated)</title></head><body>
<h1>Choose an account</h1><p>to continue to Roster (${escapeHtml(workspace.primaryDomain)}, simulated)</p>
<form method="post" action="/o/oauth2/v2/auth/choose">
<input type="hidden" name="request" value="${requestId}">
<ul>${buttons}</ul>
<label>Use another account <input name="account" type="email" value="${escapeHtml(loginHint ?? "")}"></label>
<button type="submit" id="next">Next</button>
<button name="cancel" value="1" id="cancel">Cancel</button>
</form></body></html>`;
}
