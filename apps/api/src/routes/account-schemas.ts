import { z } from "@hono/zod-openapi";
import { NewPassword, RoleNames, Timestamp } from "../http/schemas.ts";

export const TenantSchema = z
  .object({ id: z.string(), slug: z.string(), name: z.string(), createdAt: Timestamp })
  .openapi("Tenant");

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    firstName: z.string(),
    lastName: z.string(),
    aliases: z.array(z.string()),
    tags: z.array(z.string()),
    roles: z.array(z.string()),
    signIn: z.enum(["password", "microsoft", "google"]),
    connectionId: z.string().nullable(),
    externalId: z.string().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    deletedAt: Timestamp.nullable(),
  })
  .openapi("User");

export const LoginSchema = z
  .object({
    tenant: z.string().min(1).max(100).meta({ example: "default" }),
    email: z.string().min(1).max(320),
    password: z.string().min(1).max(200),
  })
  .openapi("Login");

export const CreateUserSchema = z
  .object({
    email: z.email(),
    firstName: z.string().trim().min(1).max(100),
    lastName: z.string().trim().min(1).max(100),
    password: NewPassword,
    roles: RoleNames.optional(),
  })
  .openapi("CreateUser");

export const UpdateUserSchema = z
  .object({
    email: z.email().optional(),
    firstName: z.string().trim().min(1).max(100).optional(),
    lastName: z.string().trim().min(1).max(100).optional(),
    roles: RoleNames.optional(),
    aliases: z.array(z.string().trim().min(1).max(200)).max(50).optional(),
  })
  .openapi("UpdateUser");

export const UserQuery = z.object({
  query: z.string().max(200).optional(),
  tag: z.string().max(100).optional(),
  includeDeleted: z.enum(["true", "false"]).optional(),
  deleted: z
    .enum(["only"])
    .optional()
    .meta({ description: "`only`: soft-deleted users alone (to restore them)" }),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

export const GroupSchema = z
  .object({
    id: z.string(),
    connectionId: z.string(),
    externalId: z.string(),
    name: z.string(),
    memberCount: z.number().int(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .openapi("Group");

export const NotificationSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    title: z.string(),
    body: z.string(),
    data: z.object({
      connectionId: z.string().optional(),
      runId: z.string().optional(),
      counts: z.record(z.string(), z.number()).optional(),
    }),
    createdAt: Timestamp,
    readAt: Timestamp.nullable(),
  })
  .openapi("Notification");
