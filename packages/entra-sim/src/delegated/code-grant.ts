import { aadError } from "../errors.ts";
import type { SimApp, SimTenant } from "../model.ts";
import type { TokenSigner } from "../tokens.ts";
import { GRAPH_AUDIENCE } from "../tokens.ts";
import { type CodeStore, pkceMatches } from "./codes.ts";
import { type IdTokenSigner, pairwiseSub } from "./id-tokens.ts";

const ID_TOKEN_LIFETIME_SECONDS = 3600;

/** Faults a test can set on ID tokens: a forger's key, or claims the directory never sends. */
export type IdTokenFaults = { unpublishedKey?: boolean; claims?: Record<string, unknown> };

/**
 * `grant_type=authorization_code` at `/{tenant}/oauth2/v2.0/token`: the code is checked
 * against what /authorize recorded (client, redirect URI, tenant, PKCE), redeemed once, and
 * answered with an access token and an RS256 ID token.
 * Sources: learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow ("Redeem a
 * code for an access token"), id-token-claims-reference (claims), reference-error-codes.
 */
export async function redeemCode(input: {
  tenant: SimTenant;
  app: SimApp;
  form: URLSearchParams;
  codes: CodeStore;
  signer: TokenSigner;
  idTokens: IdTokenSigner;
  issuerOf: (tenantId: string) => string;
  faults: IdTokenFaults;
}): Promise<Response> {
  const { tenant, app, form } = input;
  const grant = input.codes.get(form.get("code") ?? "");
  if (!grant) {
    return aadError(
      400,
      "invalid_grant",
      9002313,
      "Invalid request. Request is malformed or invalid.",
    );
  }
  if (grant.tenantId !== tenant.info.id) {
    return aadError(
      400,
      "invalid_grant",
      700005,
      "Provided Authorization Code is intended to use against other tenant, thus rejected.",
    );
  }
  if (grant.redeemed) {
    return aadError(
      400,
      "invalid_grant",
      54005,
      "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
    );
  }
  grant.redeemed = true;
  if (grant.expiresAt <= Date.now()) {
    return aadError(
      400,
      "invalid_grant",
      70008,
      "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
    );
  }
  if (grant.clientId !== app.clientId) {
    return aadError(400, "invalid_grant", 70000, "Provided grant is invalid or malformed.");
  }
  const redirectUri = form.get("redirect_uri") ?? "";
  if (redirectUri !== grant.redirectUri) {
    return aadError(
      400,
      "invalid_grant",
      50011,
      `The reply address '${redirectUri}' does not match the reply address '${grant.redirectUri}' provided when requesting Authorization code.`,
    );
  }
  const platform = app.redirectUris?.find((entry) => entry.uri === redirectUri)?.platform;
  if (platform === "spa") {
    return aadError(
      400,
      "invalid_request",
      9002327,
      "Tokens issued for the 'Single-Page Application' client-type may only be redeemed via cross-origin requests.",
    );
  }
  if (grant.codeChallenge !== null) {
    const verifier = form.get("code_verifier");
    if (!verifier) {
      return aadError(
        400,
        "invalid_grant",
        50148,
        "The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.",
      );
    }
    if (!pkceMatches(grant, verifier)) {
      return aadError(
        400,
        "invalid_grant",
        501481,
        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
      );
    }
  }
  const user = tenant.getUser(grant.userId);
  if (!user?.accountEnabled) {
    return aadError(400, "invalid_grant", 50057, "The user account is disabled.");
  }

  const now = Math.floor(Date.now() / 1000);
  const scopes = new Set(grant.scope);
  const claims: Record<string, unknown> = {
    aud: app.clientId,
    iss: input.issuerOf(tenant.info.id),
    iat: now,
    nbf: now,
    exp: now + ID_TOKEN_LIFETIME_SECONDS,
    sub: pairwiseSub(app.clientId, tenant.info.id, user.id),
    tid: tenant.info.id,
    uti: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64url"),
    ver: "2.0",
  };
  if (grant.nonce !== null) claims.nonce = grant.nonce;
  // `oid`, `name` and `preferred_username` need `profile`; `email` needs `email` and a mail.
  if (scopes.has("profile")) {
    claims.oid = user.id;
    claims.name = user.displayName ?? user.userPrincipalName;
    claims.preferred_username = user.userPrincipalName;
  }
  if (scopes.has("email") && user.mail) claims.email = user.mail;
  const idToken = scopes.has("openid")
    ? await input.idTokens.sign(
        { ...claims, ...input.faults.claims },
        { unpublishedKey: input.faults.unpublishedKey },
      )
    : undefined;
  const accessToken = await input.signer.sign({
    tid: tenant.info.id,
    appid: app.clientId,
    roles: [],
    aud: GRAPH_AUDIENCE,
  });
  return Response.json(
    {
      token_type: "Bearer",
      scope: [...scopes].filter((s) => s !== "offline_access").join(" "),
      expires_in: input.signer.lifetimeSeconds,
      ext_expires_in: input.signer.lifetimeSeconds,
      access_token: accessToken,
      ...(idToken ? { id_token: idToken } : {}),
    },
    { headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" } },
  );
}
