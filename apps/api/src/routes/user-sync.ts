import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  type ConnectionView,
  cancelPreview,
  cancelRun,
  confirmReview,
  connectConnection,
  connectorCatalog,
  createConnection,
  deleteConnection,
  exportRunIssues,
  getConnection,
  getPreview,
  getRun,
  latestPreview,
  listConnections,
  listRunIssues,
  listRuns,
  PERMISSIONS,
  previewConnection,
  type ReviewDecision,
  setAutoSync,
  triggerSync,
  updateConnection,
} from "@roster/core";
import { ctxOf, requirePermission, requireSession } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import {
  errorsOf,
  IdParam,
  jsonBody,
  jsonResponse,
  listOf,
  PageQuery,
  sessionSecurity,
} from "../http/schemas.ts";
import {
  ConnectionSchema,
  ConnectorSchema,
  CreateConnectionSchema,
  IssueFilterQuery,
  IssueSchema,
  PreviewJobSchema,
  ReviewDecisionSchema,
  RunDetailSchema,
  RunSchema,
  SyncRequestSchema,
  UpdateConnectionSchema,
} from "./user-sync-schemas.ts";

const tags = ["User synchronization"];
const security = sessionSecurity;
const guarded = { session: true, permission: true };
const userSyncPermission = { "x-permission": PERMISSIONS.userSync };
const RunIdParam = z.object({ runId: z.string().min(1).max(64) });
const PreviewIdParam = z.object({ previewId: z.string().min(1).max(64) });

type Viewer = {
  get(key: "deps"): AppEnv["Variables"]["deps"];
  get(key: "signIn"): AppEnv["Variables"]["signIn"];
};

/** A connection view with the redirect URI its directory needs for sign-in, if it signs users in. */
const withSignIn = (c: Viewer, view: ConnectionView) => {
  const provider = c.get("deps").connectors.get(view.type)?.signInProvider;
  return {
    ...view,
    signIn: provider ? { redirectUri: c.get("signIn").redirectUriOf(provider.id) } : null,
  };
};

/** The API contract's *User synchronization* section, behind Pages.Administration.UserSync. */
export function userSyncRoutes(app: OpenAPIHono<AppEnv>) {
  app.use("/api/user-sync/*", requireSession, requirePermission(PERMISSIONS.userSync));

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connectors",
      tags,
      ...userSyncPermission,
      security,
      summary: "Directories that can be connected, with their settings as JSON Schema",
      responses: {
        200: jsonResponse(z.object({ items: z.array(ConnectorSchema) }), "The connector catalog"),
        ...errorsOf(guarded),
      },
    }),
    (c) =>
      c.json({ items: connectorCatalog(c.get("deps")) as z.infer<typeof ConnectorSchema>[] }, 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connections",
      tags,
      ...userSyncPermission,
      security,
      summary: "List connections",
      request: { query: PageQuery },
      responses: {
        200: jsonResponse(listOf(ConnectionSchema, "ConnectionList"), "Connections"),
        ...errorsOf({ ...guarded, input: true }),
      },
    }),
    async (c) => {
      const page = await listConnections(ctxOf(c), c.req.valid("query"));
      return c.json({ ...page, items: page.items.map((view) => withSignIn(c, view)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/connections",
      tags,
      ...userSyncPermission,
      security,
      summary: "Create a connection (status draft)",
      request: { body: jsonBody(CreateConnectionSchema) },
      responses: {
        201: jsonResponse(ConnectionSchema, "Created"),
        ...errorsOf({ ...guarded, body: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => c.json(withSignIn(c, await createConnection(ctxOf(c), c.req.valid("json"))), 201),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connections/{id}",
      tags,
      ...userSyncPermission,
      security,
      summary: "Get a connection",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(ConnectionSchema, "The connection"),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(withSignIn(c, await getConnection(ctxOf(c), c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/api/user-sync/connections/{id}",
      tags,
      ...userSyncPermission,
      security,
      summary: "Change a connection; new credentials or scope return it to draft",
      request: { params: IdParam, body: jsonBody(UpdateConnectionSchema) },
      responses: {
        200: jsonResponse(ConnectionSchema, "Updated"),
        ...errorsOf({ ...guarded, id: true, body: true, unsafe: true }),
      },
    }),
    async (c) =>
      c.json(
        withSignIn(
          c,
          await updateConnection(ctxOf(c), c.req.valid("param").id, c.req.valid("json")),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/user-sync/connections/{id}",
      tags,
      ...userSyncPermission,
      security,
      summary: "Delete a connection (its users stay)",
      request: { params: IdParam },
      responses: {
        204: { description: "Deleted" },
        ...errorsOf({ ...guarded, id: true, unsafe: true }),
      },
    }),
    async (c) => {
      await deleteConnection(ctxOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/connections/{id}/connect",
      tags,
      ...userSyncPermission,
      security,
      summary: "Test credentials, permissions and groups",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(ConnectionSchema, "Connected"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409, 422] }),
      },
    }),
    async (c) =>
      c.json(withSignIn(c, await connectConnection(ctxOf(c), c.req.valid("param").id)), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/connections/{id}/sync",
      tags,
      ...userSyncPermission,
      security,
      summary: "Sync now: starts a run in the background",
      description:
        "Optional body `{mode}`: `incremental` (the default) reads only what changed since the last clean run when the connector can (a run reads everything anyway when it must, and says why in `fullReason`); `full` reads everything.",
      request: {
        params: IdParam,
        body: { required: false, content: { "application/json": { schema: SyncRequestSchema } } },
      },
      responses: {
        202: jsonResponse(z.object({ run: RunSchema }), "The run, started"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => {
      const body = c.req.valid("json") as { mode?: "full" | "incremental" } | undefined;
      return c.json({ run: await triggerSync(ctxOf(c), c.req.valid("param").id, body?.mode) }, 202);
    },
  );

  app.openapi(
    createRoute({
      method: "put",
      path: "/api/user-sync/connections/{id}/auto-sync",
      tags,
      ...userSyncPermission,
      security,
      summary: "Synchronize automatically every 24 hours from now, or stop",
      request: { params: IdParam, body: jsonBody(z.object({ enabled: z.boolean() })) },
      responses: {
        200: jsonResponse(ConnectionSchema, "Updated"),
        ...errorsOf({ ...guarded, id: true, body: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) =>
      c.json(
        withSignIn(
          c,
          await setAutoSync(ctxOf(c), c.req.valid("param").id, c.req.valid("json").enabled),
        ),
        200,
      ),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connections/{id}/runs",
      tags,
      ...userSyncPermission,
      security,
      summary: "Runs, newest first",
      request: { params: IdParam, query: PageQuery },
      responses: {
        200: jsonResponse(listOf(RunSchema, "RunList"), "Runs"),
        ...errorsOf({ ...guarded, id: true, input: true }),
      },
    }),
    async (c) =>
      c.json(await listRuns(ctxOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/connections/{id}/preview",
      tags,
      ...userSyncPermission,
      security,
      summary:
        "Dry run: starts a preview in the background (what a sync would do now; writes nothing)",
      description:
        "Answers at once with the preview's record; follow it with `GET /api/user-sync/previews/{previewId}`. One preview per connection at a time (409 `preview_in_progress` with `details.id` of the running one).",
      request: { params: IdParam },
      responses: {
        202: jsonResponse(z.object({ preview: PreviewJobSchema }), "The preview, started"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) =>
      c.json({ preview: await previewConnection(ctxOf(c), c.req.valid("param").id) }, 202),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/connections/{id}/preview",
      tags,
      ...userSyncPermission,
      security,
      summary: "The latest preview of a connection (running or kept)",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(PreviewJobSchema, "The latest preview"),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(await latestPreview(ctxOf(c), c.req.valid("param").id), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/previews/{previewId}",
      tags,
      ...userSyncPermission,
      security,
      summary: "A preview: its progress, and its result once done",
      request: { params: PreviewIdParam },
      responses: {
        200: jsonResponse(PreviewJobSchema, "The preview"),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(await getPreview(ctxOf(c), c.req.valid("param").previewId), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/previews/{previewId}/cancel",
      tags,
      ...userSyncPermission,
      security,
      summary: "Cancel a running preview",
      request: { params: PreviewIdParam },
      responses: {
        202: jsonResponse(PreviewJobSchema, "Cancel requested (or done)"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => c.json(await cancelPreview(ctxOf(c), c.req.valid("param").previewId), 202),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/runs/{runId}/cancel",
      tags,
      ...userSyncPermission,
      security,
      summary: "Cancel a running run: it stops between pages, deletes nobody, ends `cancelled`",
      request: { params: RunIdParam },
      responses: {
        202: jsonResponse(z.object({ run: RunSchema }), "Cancel requested"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => c.json({ run: await cancelRun(ctxOf(c), c.req.valid("param").runId) }, 202),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/runs/{runId}/issues",
      tags,
      ...userSyncPermission,
      security,
      summary: "A run's failures, warnings and pending deletions: filtered, searched, paged",
      request: { params: RunIdParam, query: PageQuery.extend(IssueFilterQuery.shape) },
      responses: {
        200: jsonResponse(listOf(IssueSchema, "RunIssueList"), "Issues in the order recorded"),
        ...errorsOf({ ...guarded, id: true, input: true }),
      },
    }),
    async (c) =>
      c.json(await listRunIssues(ctxOf(c), c.req.valid("param").runId, c.req.valid("query")), 200),
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/runs/{runId}/issues.csv",
      tags,
      ...userSyncPermission,
      security,
      summary: "A run's issues as CSV (same filters as the list, every row)",
      request: { params: RunIdParam, query: IssueFilterQuery },
      responses: {
        200: {
          description: "RFC 4180 CSV: kind, code, displayName, email, externalId, message",
          content: { "text/csv": { schema: z.string() } },
        },
        ...errorsOf({ ...guarded, id: true, input: true }),
      },
    }),
    async (c) => {
      const runId = c.req.valid("param").runId;
      const stream = await exportRunIssues(ctxOf(c), runId, c.req.valid("query"));
      return c.body(stream, 200, {
        "content-type": "text/csv; charset=utf-8",
        "content-disposition": `attachment; filename="run-${runId.replace(/[^\w-]/g, "")}-issues.csv"`,
      });
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/user-sync/runs/{runId}",
      tags,
      ...userSyncPermission,
      security,
      summary: "A run with its failures and warnings",
      request: { params: RunIdParam },
      responses: {
        200: jsonResponse(RunDetailSchema, "The run"),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(await getRun(ctxOf(c), c.req.valid("param").runId), 200),
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/user-sync/runs/{runId}/confirm-deletions",
      tags,
      ...userSyncPermission,
      security,
      summary: "Answer a needs_review run: runs again with what the administrator confirmed",
      description:
        "Without a body everything the run held back is confirmed: the deletion limit is lifted once and every held user may be linked, converted or restored. With one, `confirmUsers` and `leaveAlone` name held users (by application user id); users left alone are never taken over by this connection.",
      request: {
        params: RunIdParam,
        body: {
          required: false,
          content: { "application/json": { schema: ReviewDecisionSchema } },
        },
      },
      responses: {
        202: jsonResponse(z.object({ run: RunSchema }), "The new run"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) =>
      c.json(
        {
          run: await confirmReview(
            ctxOf(c),
            c.req.valid("param").runId,
            (c.req.valid("json") as ReviewDecision | undefined) ?? {},
          ),
        },
        202,
      ),
  );
}
