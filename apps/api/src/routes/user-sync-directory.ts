import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  aliasExamples,
  explainRunUser,
  PERMISSIONS,
  provisionUser,
  searchDirectoryGroups,
  selectedGroupsOf,
} from "@roster/core";
import { ctxOf } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { errorsOf, IdParam, jsonBody, jsonResponse, sessionSecurity } from "../http/schemas.ts";
import { RunSchema } from "./user-sync-schemas.ts";

const tags = ["User synchronization"];
const security = sessionSecurity;
const guarded = { session: true, permission: true };
const userSyncPermission = { "x-permission": PERMISSIONS.userSync };
const RunIdParam = z.object({ runId: z.string().min(1).max(64) });

const GroupMatchSchema = z
  .object({
    externalId: z.string(),
    name: z.string(),
    detail: z
      .string()
      .nullable()
      .meta({ description: "An email or description telling namesakes apart" }),
  })
  .openapi("DirectoryGroupMatch");

const ExplanationSchema = z
  .object({
    directoryUser: z.object({
      externalId: z.string(),
      email: z.string().nullable(),
      displayName: z.string().nullable(),
      givenName: z.string().nullable(),
      surname: z.string().nullable(),
      enabled: z.boolean(),
    }),
    inScope: z.boolean(),
    match: z.object({
      by: z.enum(["directory_id", "email", "none"]),
      userId: z.string().nullable(),
      email: z.string().nullable(),
      deleted: z.boolean(),
      connectionId: z.string().nullable(),
    }),
    action: z.enum(["create", "restore", "update", "unchanged", "skipped", "failed"]),
    rule: z.object({ code: z.string(), text: z.string() }),
    changes: z.array(
      z.object({ field: z.string(), before: z.string().nullable(), after: z.string().nullable() }),
    ),
    aliases: z.object({
      wanted: z.array(z.string()),
      granted: z.array(z.string()),
      removed: z.array(z.string()),
      refused: z.array(
        z.object({
          alias: z.string(),
          ownerId: z.string().nullable(),
          ownerEmail: z.string().nullable(),
        }),
      ),
    }),
    warnings: z.array(z.object({ code: z.string(), message: z.string() })),
    failure: z.object({ code: z.string(), message: z.string() }).nullable(),
  })
  .openapi("UserExplanation");

const ProvisionBody = z
  .object({
    externalId: z.string().trim().min(1).max(256).optional(),
    email: z.string().trim().min(3).max(320).optional(),
    dryRun: z.boolean().optional().meta({ description: "Decide and explain only; write nothing" }),
  })
  .meta({ description: "Exactly one of `externalId` (the directory's id) and `email`" })
  .openapi("ProvisionRequest");

/**
 * The directory seen from the admin console: the group picker, the alias template's live
 * example, provision on demand and the explanation of one user's decision.
 */
export function userSyncDirectoryRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connections/{id}/groups/search",
      tags,
      ...userSyncPermission,
      security,
      summary: "Directory groups whose name starts with the query (the group picker)",
      request: {
        params: IdParam,
        query: z.object({ query: z.string().max(256).default("") }),
      },
      responses: {
        200: jsonResponse(z.object({ items: z.array(GroupMatchSchema) }), "At most 20 groups"),
        ...errorsOf({ ...guarded, id: true, input: true, also: [422] }),
      },
    }),
    async (c) =>
      c.json(
        await searchDirectoryGroups(ctxOf(c), c.req.valid("param").id, c.req.valid("query").query),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connections/{id}/groups",
      tags,
      ...userSyncPermission,
      security,
      summary: "The groups the connection selects, with names and members once synchronized",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(
          z.object({
            items: z.array(
              z.object({
                externalId: z.string(),
                name: z.string().nullable(),
                groupId: z
                  .string()
                  .nullable()
                  .meta({ description: "For /api/groups/{id}/members" }),
                memberCount: z.number().int().nullable(),
              }),
            ),
          }),
          "Selected groups",
        ),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(await selectedGroupsOf(ctxOf(c), c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/connections/{id}/alias-example",
      tags,
      ...userSyncPermission,
      security,
      summary: "The aliases a template would give the first directory users (writes nothing)",
      request: {
        params: IdParam,
        body: jsonBody(z.object({ aliasTemplate: z.string().max(1000) })),
      },
      responses: {
        200: jsonResponse(
          z.object({
            aliasTemplate: z.string(),
            fields: z.array(z.string()),
            examples: z.array(
              z.object({
                externalId: z.string(),
                displayName: z.string().nullable(),
                email: z.string().nullable(),
                aliases: z.array(z.string()),
              }),
            ),
          }),
          "Up to 5 directory users with their aliases",
        ),
        ...errorsOf({ ...guarded, id: true, body: true, unsafe: true, also: [422] }),
      },
    }),
    async (c) =>
      c.json(
        await aliasExamples(ctxOf(c), c.req.valid("param").id, c.req.valid("json").aliasTemplate),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/connections/{id}/provision",
      tags,
      ...userSyncPermission,
      security,
      summary: "Provision on demand: sync one directory user now and explain the decision",
      request: { params: IdParam, body: jsonBody(ProvisionBody) },
      responses: {
        200: jsonResponse(
          z.object({
            run: RunSchema.nullable().meta({
              description:
                "The run (trigger provision) that wrote it; null for a dry run or a user out of scope",
            }),
            explanation: ExplanationSchema,
          }),
          "What happened and why",
        ),
        ...errorsOf({ ...guarded, id: true, body: true, unsafe: true, also: [409, 422] }),
      },
    }),
    async (c) => {
      const { externalId, email, dryRun } = c.req.valid("json");
      return c.json(
        await provisionUser(ctxOf(c), c.req.valid("param").id, { externalId, email }, { dryRun }),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/runs/{runId}/explain",
      tags,
      ...userSyncPermission,
      security,
      summary: "One user of a run: what the run recorded, and how the rules decide it now",
      request: {
        params: RunIdParam,
        query: z.object({
          externalId: z.string().min(1).max(256).optional().meta({ description: "Required" }),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({
            run: RunSchema,
            recorded: z.object({
              userId: z.string().nullable(),
              changes: z.array(z.object({ kind: z.string(), at: z.string() })),
              issues: z.array(
                z.object({ kind: z.string(), code: z.string(), message: z.string() }),
              ),
            }),
            now: ExplanationSchema,
          }),
          "The explanation",
        ),
        ...errorsOf({ ...guarded, id: true, input: true, also: [409, 422] }),
      },
    }),
    async (c) =>
      c.json(
        await explainRunUser(ctxOf(c), c.req.valid("param").runId, c.req.valid("query").externalId),
        200,
      ),
  );
}
