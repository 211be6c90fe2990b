import type { SignInProvider } from "@roster/connector-kit";
import type { EntraSettings } from "./settings.ts";

/**
 * Sign in with Microsoft through the customer's own app registration (the one sync uses),
 * at the tenant-specific authority, so Entra itself refuses users of other tenants
 * (AADSTS50020) and the issuer is compared exactly.
 * Sources: learn.microsoft.com/entra/identity-platform/v2-protocols-oidc,
 * learn.microsoft.com/entra/identity-platform/id-token-claims-reference,
 * learn.microsoft.com/entra/identity-platform/claims-validation ("Validate the tenant").
 */
export function entraSignIn(authorityHost: string): SignInProvider<EntraSettings> {
  const origin = new URL(authorityHost).origin;
  return {
    id: "microsoft",
    label: "Sign in with Microsoft",
    oidcClient: (settings, secret) => ({
      // No trailing slash: discovery compares the metadata issuer with this URL exactly.
      issuer: `${origin}/${settings.directoryId}/v2.0`,
      clientId: settings.applicationId,
      clientSecret: secret,
    }),
    identify(claims, settings) {
      // Check `tid` even at a tenant authority: a registration switched to multi-tenant, or
      // a token from another directory, must not reach a user of this one.
      const tid = typeof claims.tid === "string" ? claims.tid.toLowerCase() : null;
      if (tid !== settings.directoryId.toLowerCase()) {
        return {
          ok: false,
          code: "sso_wrong_directory",
          message: `The ID token is from directory ${tid ?? "(none)"}, not from ${settings.directoryId}.`,
        };
      }
      // `oid` is the Graph user id sync stored; never email, preferred_username or upn (nOAuth).
      const oid = claims.oid;
      if (typeof oid !== "string" || oid === "") {
        return {
          ok: false,
          code: "sso_invalid_token",
          message: "The ID token has no oid claim (the profile scope is needed).",
        };
      }
      return { ok: true, externalId: oid };
    },
  };
}
