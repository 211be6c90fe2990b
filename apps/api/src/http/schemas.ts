import { z } from "@hono/zod-openapi";

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
  403: errorResponse("forbidden: the session lacks the permission"),
  404: errorResponse("not_found (also for another tenant's ids)"),
  409: errorResponse("conflict with the current state"),
  413: errorResponse("payload_too_large"),
  422: errorResponse(
    "connect failed: invalid_secret, secret_expired, unknown_application, unknown_directory, missing_permission, admin_not_found, group_not_found, directory_unreachable, connector_unavailable",
  ),
  429: errorResponse("rate_limited"),
};

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

export const listOf = <T extends z.ZodType>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

export const Timestamp = z.iso.datetime().meta({ example: "2026-03-01T09:00:00.000Z" });

/** Signed-in routes accept a bearer token or the session cookie. */
export const sessionSecurity: Array<Record<string, string[]>> = [{ bearer: [] }, { cookie: [] }];
export const operatorSecurity: Array<Record<string, string[]>> = [{ bearer: [] }];
