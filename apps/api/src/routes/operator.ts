import { timingSafeEqual } from "node:crypto";
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { createTenant, DomainError, listOutbox } from "@roster/core";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env.ts";
import {
  errorsOf,
  jsonBody,
  jsonResponse,
  listOf,
  NewPassword,
  operatorSecurity,
  PageQuery,
  Timestamp,
} from "../http/schemas.ts";
import { TenantSchema, UserSchema } from "./account-schemas.ts";

const tags = ["Operator"];
const security = operatorSecurity;

const sameSecret = (a: string, b: string) => {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
};

const CreateTenantSchema = z
  .object({
    slug: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,62})$/, "Lower-case letters, digits and dashes"),
    name: z.string().trim().min(1).max(200),
    admin: z.object({
      email: z.email(),
      password: NewPassword,
      firstName: z.string().trim().min(1).max(100),
      lastName: z.string().trim().min(1).max(100),
    }),
  })
  .openapi("CreateTenant");

const OutboxItem = z
  .object({
    id: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string().nullable(),
    html: z.string().nullable(),
    kind: z.string(),
    status: z.string(),
    createdAt: Timestamp,
  })
  .openapi("OutboxMessage");

/** Routes for whoever runs the service, guarded by `ROSTER_OPERATOR_TOKEN`. */
export function operatorRoutes(
  app: OpenAPIHono<AppEnv>,
  options: { operatorToken?: string; localOutbox: boolean },
) {
  const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
    const token = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
    if (!options.operatorToken)
      throw new DomainError("not_found", "Operator routes are off: set ROSTER_OPERATOR_TOKEN.");
    if (!token || !sameSecret(token, options.operatorToken)) {
      throw new DomainError("unauthenticated", "The operator token is missing or wrong.");
    }
    await next();
  });
  app.use("/api/tenants", requireOperator);
  app.use("/api/outbox", requireOperator);

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/tenants",
      tags,
      security,
      summary: "Create a tenant with its first administrator",
      request: { body: jsonBody(CreateTenantSchema) },
      responses: {
        201: jsonResponse(z.object({ tenant: TenantSchema, admin: UserSchema }), "Created"),
        ...errorsOf({ operator: true, body: true, also: [404, 409] }),
      },
    }),
    async (c) => c.json(await createTenant(c.get("deps"), c.req.valid("json")), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/outbox",
      tags,
      security,
      summary: "Emails kept locally (only when Resend is not configured)",
      request: { query: PageQuery },
      responses: {
        200: jsonResponse(listOf(OutboxItem, "OutboxList"), "Messages, newest first"),
        ...errorsOf({ operator: true, input: true, also: [404] }),
      },
    }),
    async (c) => {
      if (!options.localOutbox) {
        throw new DomainError(
          "not_found",
          "Email is delivered through Resend; there is no local outbox.",
        );
      }
      return c.json(await listOutbox(c.get("deps"), c.req.valid("query")), 200);
    },
  );
}
