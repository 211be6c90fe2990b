import { z } from "@hono/zod-openapi";
import { MIN_PASSWORD_LENGTH, passwordProblem } from "@roster/core";

/** Shared OpenAPI schemas: the error envelope, lists, ids. */
export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().meta({ example: "not_found" }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

const errorResponse = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

export const errors = {
  400: errorResponse("validation_failed: the request does not match the schema"),
  401: errorResponse("unauthenticated: no valid session"),
  403: errorResponse(
    "forbidden: the session lacks the permission, or a cookie request came from another origin",
  ),
  404: errorResponse("not_found (also for another tenant's ids)"),
  409: errorResponse("conflict with the current state"),
  413: errorResponse("payload_too_large"),
  415: errorResponse("unsupported_media_type: the body is not JSON"),
  422: errorResponse(
    "connect failed: invalid_secret, secret_expired, unknown_application, unknown_directory, missing_permission, admin_not_found, group_not_found, directory_unreachable, connector_unavailable",
  ),
  429: errorResponse("rate_limited (details.retryAfterSeconds)"),
  500: errorResponse("internal: logged with the request id, no stack"),
};

type ErrorStatus = keyof typeof errors;

/**
 * The error statuses a route can answer, documented once per route: every route may fail
 * with 500; a JSON body adds 400, 413 and 415; a session adds 401 (and 403 for the
 * same-origin check on cookie writes); a permission adds 403; an id adds 404.
 */
export function errorsOf(route: {
  session?: boolean;
  permission?: boolean;
  operator?: boolean;
  body?: boolean;
  input?: boolean;
  id?: boolean;
  unsafe?: boolean;
  also?: ErrorStatus[];
}) {
  const statuses = new Set<ErrorStatus>([500, ...(route.also ?? [])]);
  if (route.body) for (const status of [400, 413, 415] as const) statuses.add(status);
  if (route.input || route.id) statuses.add(400);
  if (route.session || route.operator) statuses.add(401);
  if (route.permission || (route.session && route.unsafe)) statuses.add(403);
  if (route.id) statuses.add(404);
  return Object.fromEntries(
    [...statuses].sort().map((status) => [status, errors[status]]),
  ) as Partial<Record<ErrorStatus, (typeof errors)[ErrorStatus]>>;
}

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

export const IdParam = z.object({ id: z.string().min(1).max(64) });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

/** A new password: the policy of `passwordProblem` (length, common passwords). */
export const NewPassword = z
  .string()
  .max(200)
  .superRefine((value, ctx) => {
    const problem = passwordProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({
    description: `At least ${MIN_PASSWORD_LENGTH} characters; not a common password`,
    minLength: MIN_PASSWORD_LENGTH,
  });

/** Role names to assign: a few at most, each a short name. */
export const RoleNames = z
  .array(z.string().min(1).max(100))
  .max(20)
  .meta({ example: ["User"] });

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

export const Timestamp = z.iso.datetime().meta({ example: "2026-03-01T09:00:00.000Z" });

/** Signed-in routes accept a bearer token or the session cookie. */
export const sessionSecurity: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];
export const operatorSecurity: Array<Record<string, string[]>> = [{ operator: [] }];
