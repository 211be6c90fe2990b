import { createHash, timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";
import { oauthError } from "./errors.ts";
import type { SimGoogle } from "./model.ts";
import {
  type AccessTokens,
  type AuthorizationCodes,
  atHash,
  type IdTokenSigner,
} from "./tokens.ts";

export const JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/** The `aud` Google accepts in a service account's assertion (the token URLs it has had). */
const TOKEN_AUDIENCES = new Set([
  "https://oauth2.googleapis.com/token",
  "https://www.googleapis.com/oauth2/v4/token",
  "https://accounts.google.com/o/oauth2/token",
]);

export type TokenDeps = {
  google: SimGoogle;
  tokens: AccessTokens;
  codes: AuthorizationCodes;
  idTokens: IdTokenSigner;
  issuer: () => string;
};

/**
 * `POST /token`, Google's `https://oauth2.googleapis.com/token`: the JWT-bearer grant of a
 * service account with domain-wide delegation
 * (developers.google.com/identity/protocols/oauth2/service-account, "Preparing to make an
 * authorized API call" and "Handling errors"), and the authorization-code grant of Sign in
 * with Google (developers.google.com/identity/openid-connect/openid-connect#exchangecode).
 */
export function tokenRoutes(deps: TokenDeps) {
  const app = new Hono();
  app.post("/token", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const grantType = form.get("grant_type") ?? "";
    if (grantType === JWT_BEARER) return jwtBearer(deps, form);
    if (grantType === "authorization_code") {
      return authorizationCode(deps, form, c.req.header("authorization"));
    }
    return oauthError(400, "unsupported_grant_type", `Invalid grant_type: ${grantType}`);
  });
  return app;
}

async function jwtBearer(deps: TokenDeps, form: URLSearchParams): Promise<Response> {
  const assertion = form.get("assertion");
  if (!assertion)
    return oauthError(400, "invalid_request", "Missing required parameter: assertion");
  let claims: ReturnType<typeof decodeJwt>;
  try {
    if (decodeProtectedHeader(assertion).alg !== "RS256") throw new Error("alg");
    claims = decodeJwt(assertion);
  } catch {
    return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  }
  const account = deps.google.serviceAccounts.get(String(claims.iss ?? ""));
  // Observed for a deleted or unknown service account (google-auth-library-nodejs#1129).
  if (!account) return oauthError(400, "invalid_grant", "Invalid grant: account not found");
  try {
    await compactVerify(assertion, account.publicKey, { algorithms: ["RS256"] });
  } catch {
    return oauthError(400, "invalid_grant", "Invalid JWT Signature.");
  }
  const now = Math.floor(Date.now() / 1000);
  const iat = Number(claims.iat);
  const exp = Number(claims.exp);
  if (!(exp - iat <= 3600 && iat <= now + 300 && exp > now)) {
    return oauthError(
      400,
      "invalid_grant",
      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.",
    );
  }
  if (!TOKEN_AUDIENCES.has(String(claims.aud ?? ""))) {
    return oauthError(400, "invalid_grant", "Invalid JWT: Failed audience check.");
  }
  const scopes = String(claims.scope ?? "")
    .split(/\s+/)
    .filter(Boolean);
  if (scopes.length === 0) {
    return oauthError(400, "invalid_scope", "Empty or missing scope not allowed.");
  }
  if (claims.sub === undefined) {
    return tokenResponse(deps, deps.tokens.issue({ kind: "service-account", scopes }), scopes);
  }
  const found = deps.google.findAccount(String(claims.sub));
  if (!found) return oauthError(400, "invalid_grant", "Invalid email or User ID");
  // Domain-wide delegation is granted per client id and per scope in the Admin console.
  const granted = found.workspace.delegations.get(account.clientId) ?? [];
  if (!scopes.every((scope) => granted.includes(scope))) {
    return oauthError(
      401,
      "unauthorized_client",
      "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.",
    );
  }
  const token = deps.tokens.issue({
    kind: "delegation",
    customerId: found.workspace.customerId,
    subjectId: found.user.id,
    scopes,
  });
  return tokenResponse(deps, token, scopes);
}

function tokenResponse(deps: TokenDeps, accessToken: string, scopes: string[], idToken?: string) {
  return Response.json(
    {
      access_token: accessToken,
      expires_in: deps.tokens.lifetimeSeconds,
      token_type: "Bearer",
      scope: scopes.join(" "),
      ...(idToken ? { id_token: idToken } : {}),
    },
    { headers: { "cache-control": "no-cache, no-store, max-age=0, must-revalidate" } },
  );
}

/** Client credentials in the body (client_secret_post) or URL-decoded Basic (RFC 6749 §2.3.1). */
function clientCredentials(form: URLSearchParams, authorization: string | undefined) {
  if (authorization?.startsWith("Basic ")) {
    const decoded = Buffer.from(authorization.slice(6), "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  }
  return { id: form.get("client_id") ?? "", secret: form.get("client_secret") ?? "" };
}

const sameText = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

async function authorizationCode(
  deps: TokenDeps,
  form: URLSearchParams,
  authorization: string | undefined,
): Promise<Response> {
  const credentials = clientCredentials(form, authorization);
  const found = deps.google.findOAuthClient(credentials.id);
  if (!found) return oauthError(401, "invalid_client", "The OAuth client was not found.");
  if (!sameText(found.client.clientSecret, credentials.secret)) {
    return oauthError(401, "invalid_client", "Unauthorized");
  }
  const value = form.get("code") ?? "";
  const code = deps.codes.find(value);
  if (!code) return oauthError(400, "invalid_grant", "Malformed auth code.");
  if (code.used || code.expiresAt <= Date.now() || code.clientId !== credentials.id) {
    return oauthError(400, "invalid_grant", "Bad Request");
  }
  if ((form.get("redirect_uri") ?? "") !== code.redirectUri) {
    return oauthError(400, "redirect_uri_mismatch", "Bad Request");
  }
  const verifier = form.get("code_verifier");
  if (code.codeChallenge) {
    if (!verifier) return oauthError(400, "invalid_grant", "Missing code verifier.");
    const computed =
      code.codeChallengeMethod === "S256"
        ? createHash("sha256").update(verifier).digest("base64url")
        : verifier;
    if (computed !== code.codeChallenge) {
      return oauthError(400, "invalid_grant", "Invalid code verifier.");
    }
  } else if (verifier) {
    return oauthError(400, "invalid_grant", "code_verifier or verifier is not needed.");
  }
  code.used = true;
  const scopes = code.scope.split(/\s+/).filter(Boolean);
  const accessToken = deps.tokens.issue({ kind: "user", sub: String(code.claims.sub), scopes });
  const idToken = scopes.includes("openid")
    ? await deps.idTokens.sign({
        iss: deps.issuer(),
        azp: code.clientId,
        aud: code.clientId,
        ...code.claims,
        at_hash: atHash(accessToken),
        ...(code.nonce ? { nonce: code.nonce } : {}),
      })
    : undefined;
  return tokenResponse(deps, accessToken, scopes, idToken);
}
