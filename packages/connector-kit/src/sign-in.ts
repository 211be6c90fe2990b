/**
 * Sign in through the directory (spec §4.10): what a connector tells the generic OpenID
 * Connect flow of the API. The flow itself (openid-client, PKCE, state, nonce, the single-use
 * transaction, sessions) lives in core/api and knows no provider; a connector only says
 * which OIDC client a connection uses and which synced user a verified ID token names.
 */
export type SignInRefusal = {
  ok: false;
  code: "sso_wrong_directory" | "sso_invalid_token";
  message: string;
};

export type SignInProvider<S = Record<string, unknown>> = {
  /** URL segment and stored sign-in method: "microsoft", "google". */
  id: string;
  /** The button: "Sign in with Microsoft". */
  label: string;
  /**
   * The connection's OIDC client, or null when the connection has none configured (the
   * provider is then not offered). `issuer` is the discovery base, e.g.
   * `https://login.microsoftonline.com/{tenant}/v2.0`.
   */
  oidcClient(
    settings: S,
    secret: string,
  ): { issuer: string; clientId: string; clientSecret: string } | null;
  /**
   * Parameters the provider defines for its authorization request beyond the standard ones
   * the flow sets itself (which they cannot replace), e.g. Google's `hd` account-chooser
   * hint. A hint only: what counts is `identify`.
   */
  authorizationParams?(settings: S): Record<string, string>;
  /**
   * Which synced user verified ID-token claims name (the external id Roster stored for this
   * connection), or why they are refused. Never match on email or username claims.
   */
  identify(
    claims: Readonly<Record<string, unknown>>,
    settings: S,
  ): { ok: true; externalId: string } | SignInRefusal;
};
