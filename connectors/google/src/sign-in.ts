import type { SignInProvider } from "@roster/connector-kit";
import { readSecret } from "./secret.ts";
import { type GoogleSettings, signInDomainsOf } from "./settings.ts";

/**
 * Sign in with Google for users synced from this Workspace (sign-in-fidelity.md §1.5, §5).
 * The OAuth client is the customer's own Web client; a token is accepted only when `hd`
 * (set by Google, unlike the `hd` request parameter) is one of the Workspace's domains and
 * `email_verified` is true. The user is the one whose Directory `id` equals `sub` — never
 * matched by email, which a recycled account can reuse.
 */
export function googleSignIn(issuer: string): SignInProvider<GoogleSettings> {
  return {
    id: "google",
    label: "Sign in with Google",
    oidcClient(settings, secret) {
      if (!settings.signInClientId) return null;
      let clientSecret: string | undefined;
      try {
        clientSecret = readSecret(secret).signInClientSecret;
      } catch {
        return null;
      }
      return clientSecret ? { issuer, clientId: settings.signInClientId, clientSecret } : null;
    },
    /**
     * `hd` narrows Google's account chooser to the Workspace's accounts; `*` (several
     * domains) to Workspace accounts at all (developers.google.com/identity/openid-connect/openid-connect#hd-param).
     * Google says not to rely on it, so `identify` checks the token's `hd` claim.
     */
    authorizationParams(settings) {
      const domains = signInDomainsOf(settings);
      return { hd: domains.length === 1 ? (domains[0] as string) : "*" };
    },
    identify(claims, settings) {
      if (claims.iss !== issuer || !audienceIncludes(claims.aud, settings.signInClientId)) {
        return {
          ok: false,
          code: "sso_invalid_token",
          message: "The ID token was not issued by Google for this connection's OAuth client.",
        };
      }
      const sub = claims.sub;
      if (typeof sub !== "string" || sub === "") {
        return { ok: false, code: "sso_invalid_token", message: "The ID token names no account." };
      }
      const hd = typeof claims.hd === "string" ? claims.hd.toLowerCase() : null;
      const domains = signInDomainsOf(settings);
      if (!hd || !domains.includes(hd)) {
        return {
          ok: false,
          code: "sso_wrong_directory",
          message: hd
            ? `This Google account belongs to ${hd}, not to ${domains.join(", ")}.`
            : "This is a personal Google account, not an account of your organization's Google Workspace.",
        };
      }
      if (claims.email_verified !== true) {
        return {
          ok: false,
          code: "sso_invalid_token",
          message: "Google did not confirm that this account's email address is verified.",
        };
      }
      return { ok: true, externalId: sub };
    },
  };
}

const audienceIncludes = (aud: unknown, clientId: string) =>
  clientId !== "" && (aud === clientId || (Array.isArray(aud) && aud.includes(clientId)));
