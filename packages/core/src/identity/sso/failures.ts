import * as oidc from "openid-client";

/** Why a directory sign-in ended without a session: the `signInError` codes of the API. */
export const SIGN_IN_ERROR_CODES = [
  "sso_denied",
  "sso_expired",
  "sso_wrong_directory",
  "sso_not_synced",
  "sso_invalid_token",
  "sso_unavailable",
] as const;

export type SignInErrorCode = (typeof SIGN_IN_ERROR_CODES)[number];

export type SignInFailure = { ok: false; code: SignInErrorCode; message: string };

export const refuse = (code: SignInErrorCode, message: string): SignInFailure => ({
  ok: false,
  code,
  message,
});

/** ClientError codes that mean the ID token itself did not check out. */
const TOKEN_CODES = new Set([
  "OAUTH_JWT_CLAIM_COMPARISON_FAILED",
  "OAUTH_JWT_TIMESTAMP_CHECK_FAILED",
  "OAUTH_KEY_SELECTION_FAILED",
  "OAUTH_JWT_USERINFO_EXPECTED",
]);

/**
 * What openid-client's errors mean for the person signing in. The detail it reports is in
 * `cause.message` (sign-in-fidelity.md §2.3); the IdP's text is in `error_description`.
 */
export function classifyOidcError(error: unknown): SignInFailure {
  if (error instanceof oidc.AuthorizationResponseError) {
    return refuse("sso_denied", `${error.error}: ${error.error_description ?? ""}`.trim());
  }
  if (error instanceof oidc.ResponseBodyError) {
    // The token endpoint refused the code or the client secret.
    return refuse("sso_unavailable", `${error.error}: ${error.error_description ?? ""}`.trim());
  }
  if (error instanceof oidc.ClientError) {
    const detail = error.cause instanceof Error ? error.cause.message : "";
    const message = detail ? `${error.message}: ${detail}` : error.message;
    const code = error.code ?? "";
    // OAUTH_INVALID_RESPONSE is also a malformed token response; only an ID-token problem
    // (a bad signature, a missing id_token) is the token's fault.
    const aboutToken =
      TOKEN_CODES.has(code) ||
      (code === "OAUTH_INVALID_RESPONSE" && /JWT|id_token|ID Token|signature/i.test(message));
    return refuse(aboutToken ? "sso_invalid_token" : "sso_unavailable", message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return refuse("sso_unavailable", `The directory could not be reached: ${message}`);
}
