import { admin, type admin_directory_v1 } from "@googleapis/admin";
import { JWT } from "google-auth-library";
import type { GoogleSecret } from "./secret.ts";

/** Read-only scopes the service account is granted by domain-wide delegation. */
export const DIRECTORY_SCOPES = [
  "https://www.googleapis.com/auth/admin.directory.user.readonly",
  "https://www.googleapis.com/auth/admin.directory.group.member.readonly",
  "https://www.googleapis.com/auth/admin.directory.group.readonly",
] as const;

/** google-auth-library's hard-coded token endpoint (gtoken `GOOGLE_TOKEN_URL`). */
export const GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token";

export type GoogleHosts = {
  /** `GOOGLE_TOKEN_URL`: where the JWT-bearer grant is posted. */
  tokenUrl: string;
  /** `GOOGLE_DIRECTORY_URL`: the Admin SDK's `rootUrl`. */
  directoryUrl: string;
  /** `GOOGLE_ISSUER_URL`: the OpenID Connect issuer for Sign in with Google. */
  issuerUrl: string;
};

/** gaxios' own retries of 5xx/429 on GET (it never retries 403, and ignores Retry-After). */
export type TransientRetry = { retries: number; delayMs: number };

export type DirectorySession = { directory: admin_directory_v1.Admin; jwt: JWT };

/**
 * A Directory API client acting as `adminEmail` through domain-wide delegation.
 * The token URL is a constant inside google-auth-library, so a request interceptor on the
 * JWT's own transporter redirects it; `cfg.url` must stay a URL object, or gaxios' error
 * redactor crashes on the first error response.
 */
export function openDirectory(
  hosts: GoogleHosts,
  secret: GoogleSecret,
  adminEmail: string,
  retry?: TransientRetry,
): DirectorySession {
  const jwt = new JWT({
    email: secret.serviceAccountKey.client_email,
    key: secret.serviceAccountKey.private_key,
    keyId: secret.serviceAccountKey.private_key_id,
    subject: adminEmail,
    scopes: [...DIRECTORY_SCOPES],
  });
  if (hosts.tokenUrl !== GOOGLE_TOKEN_URL) {
    const target = hosts.tokenUrl;
    jwt.transporter.interceptors.request.add({
      resolved: async (config) => {
        if (String(config.url).startsWith(GOOGLE_TOKEN_URL)) config.url = new URL(target);
        return config;
      },
    });
  }
  const directory = admin({
    version: "directory_v1",
    auth: jwt,
    rootUrl: hosts.directoryUrl.endsWith("/") ? hosts.directoryUrl : `${hosts.directoryUrl}/`,
    timeout: 60_000,
    ...(retry
      ? {
          retryConfig: {
            retry: retry.retries,
            retryDelay: retry.delayMs,
            retryDelayMultiplier: 1,
            noResponseRetries: retry.retries,
          },
        }
      : {}),
  });
  return { directory, jwt };
}
