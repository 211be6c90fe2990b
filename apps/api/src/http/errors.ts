import { plainIssueMessage } from "@roster/connector-kit";
import { DomainError, type DomainErrorCode } from "@roster/core";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";
import type { AppEnv } from "./env.ts";

/** HTTP status of each error code of the API contract; connect failures are 422. */
const STATUS: Partial<Record<DomainErrorCode, ContentfulStatusCode>> = {
  validation_failed: 400,
  unauthenticated: 401,
  invalid_credentials: 401,
  forbidden: 403,
  sso_required: 403,
  not_found: 404,
  conflict: 409,
  email_taken: 409,
  slug_taken: 409,
  sync_in_progress: 409,
  preview_in_progress: 409,
  connect_in_progress: 409,
  too_many_connections: 409,
  not_connected: 409,
  not_running: 409,
  not_needs_review: 409,
  last_administrator: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
};

export const statusOf = (code: DomainErrorCode): ContentfulStatusCode => STATUS[code] ?? 422;

export const errorBody = (code: string, message: string, details?: unknown) => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

/** Each field's problem in plain words (never "expected array, received undefined"). */
export const zodDetails = (error: ZodError) =>
  error.issues.map((issue) => ({
    path: issue.path.map(String),
    message: plainIssueMessage(issue as Parameters<typeof plainIssueMessage>[0]),
  }));

/** Every error leaves in the contract's shape; an unexpected one as `internal`, without a stack. */
export function handleError(error: Error, c: Context<AppEnv>) {
  if (error instanceof DomainError) {
    return c.json(errorBody(error.code, error.message, error.details), statusOf(error.code));
  }
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 413)
      return c.json(errorBody("payload_too_large", "The request body is larger than 1 MiB."), 413);
    if (status === 400)
      return c.json(
        errorBody("validation_failed", error.message || "The request is malformed."),
        400,
      );
    if (status === 415)
      return c.json(
        errorBody(
          "unsupported_media_type",
          "Send the body as JSON (Content-Type: application/json).",
        ),
        415,
      );
    // Any other status Hono raises keeps its status; only a real 5xx is `internal`.
    const code = status >= 500 ? "internal" : "bad_request";
    return c.json(errorBody(code, error.message), status as ContentfulStatusCode);
  }
  c.get("log")?.error("request failed", {
    error: error.message,
    stack: error.stack,
    path: c.req.path,
  });
  return c.json(
    errorBody("internal", "Something went wrong on our side. It has been logged."),
    500,
  );
}
