/**
 * Error bodies as Google sends them.
 * API errors: developers.google.com/workspace/admin/directory/v1/limits and
 * cloud.google.com/apis/design/errors (the `{ error: { code, message, errors[], status } }`
 * envelope, `application/json; charset=UTF-8`).
 * OAuth errors: developers.google.com/identity/protocols/oauth2/service-account
 * ("Handling errors") and RFC 6749 §5.2 (`{ error, error_description }`).
 */

const JSON_UTF8 = { "content-type": "application/json; charset=UTF-8" };

export function apiError(
  status: number,
  reason: string,
  message: string,
  extra: { domain?: string; statusText?: string; location?: string } = {},
): Response {
  return Response.json(
    {
      error: {
        code: status,
        message,
        errors: [
          {
            message,
            domain: extra.domain ?? "global",
            reason,
            ...(extra.location ? { location: extra.location, locationType: "header" } : {}),
          },
        ],
        ...(extra.statusText ? { status: extra.statusText } : {}),
      },
    },
    { status, headers: JSON_UTF8 },
  );
}

/** Thrown in route handlers; the router turns it into `apiError`. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly extra: { domain?: string; statusText?: string; location?: string } = {},
  ) {
    super(message);
  }
  toResponse(): Response {
    return apiError(this.status, this.reason, this.message, this.extra);
  }
}

export const notFound = (what: "userKey" | "groupKey" | "memberKey") =>
  new ApiFailure(404, "notFound", `Resource Not Found: ${what}`);

/** A subject that is not an administrator, or a customer that is not the subject's. */
export const notAuthorized = () =>
  new ApiFailure(403, "forbidden", "Not Authorized to access this resource/api");

export const insufficientScopes = () =>
  new ApiFailure(
    403,
    "insufficientPermissions",
    "Request had insufficient authentication scopes.",
    {
      statusText: "PERMISSION_DENIED",
    },
  );

export const invalidCredentials = () =>
  new ApiFailure(
    401,
    "authError",
    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
    { statusText: "UNAUTHENTICATED", location: "Authorization" },
  );

export const badRequest = (message = "Bad Request", reason = "badRequest") =>
  new ApiFailure(400, reason, message);

/**
 * The Directory API's rate limits answer 403, not 429
 * (developers.google.com/workspace/admin/directory/v1/limits: "403: userRateLimitExceeded",
 * "403: quotaExceeded").
 */
export const rateLimited = (reason: "userRateLimitExceeded" | "quotaExceeded") =>
  new ApiFailure(
    403,
    reason,
    reason === "userRateLimitExceeded"
      ? "User Rate Limit Exceeded"
      : "Quota exceeded: the limit of concurrent requests for this operation has been reached.",
    { domain: "usageLimits" },
  );

export function oauthError(status: number, error: string, description: string): Response {
  return Response.json(
    { error, error_description: description },
    { status, headers: { ...JSON_UTF8, "cache-control": "no-cache, no-store, max-age=0" } },
  );
}

/** Google's own error page: the browser is not sent back for client and redirect errors. */
export function errorPage(status: number, title: string, detail: string): Response {
  const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return new Response(
    `<!doctype html><html><head><title>Error ${status}: ${escapeHtml(title)}</title></head><body><h1>Access blocked: authorization error</h1><p id="error">Error ${status}: ${escapeHtml(title)}</p><p>${escapeHtml(detail)}</p></body></html>`,
    { status, headers: { "content-type": "text/html; charset=utf-8" } },
  );
}
