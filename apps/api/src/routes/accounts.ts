import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import {
  createUser,
  DomainError,
  deleteUser,
  getUser,
  listGroupMembers,
  listGroups,
  listNotifications,
  listUsers,
  login,
  logout,
  markAllNotificationsRead,
  markNotificationRead,
  me,
  PERMISSIONS,
  updateUser,
} from "@roster/core";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { ctxOf, requirePermission, requireSession, SESSION_COOKIE } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import type { createRateLimiter } from "../http/rate-limit.ts";
import {
  errors,
  IdParam,
  jsonBody,
  jsonResponse,
  listOf,
  PageQuery,
  sessionSecurity,
} from "../http/schemas.ts";
import {
  CreateUserSchema,
  GroupSchema,
  LoginSchema,
  NotificationSchema,
  TenantSchema,
  UpdateUserSchema,
  UserQuery,
  UserSchema,
} from "./account-schemas.ts";
import { withStartUrl } from "./directory-sign-in.ts";

const security = sessionSecurity;
const guarded = { 401: errors[401], 403: errors[403] };

/** Session, users, groups and notifications. */
export function accountRoutes(
  app: OpenAPIHono<AppEnv>,
  loginLimiter: ReturnType<typeof createRateLimiter>,
  options: { publicUrl: string },
) {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/auth/login",
      tags: ["Session"],
      summary: "Sign in with email and password",
      request: { body: jsonBody(LoginSchema) },
      responses: {
        200: jsonResponse(
          z.object({ token: z.string(), user: UserSchema, expiresAt: z.string() }),
          "Signed in; also sets the roster_session cookie",
        ),
        400: errors[400],
        401: errors[401],
        403: {
          description:
            "sso_required: a directory user; details carry provider, connectionId and startUrl",
          content: errors[403].content,
        },
        429: errors[429],
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const client = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() ?? "local";
      loginLimiter.hit(`${client}|${body.tenant.toLowerCase()}|${body.email.toLowerCase()}`);
      const result = await login(c.get("deps"), body).catch((error: unknown) => {
        // Directory users get where to sign in instead (spec §4.10).
        if (error instanceof DomainError && error.code === "sso_required") {
          throw withStartUrl(error, options.publicUrl, body);
        }
        throw error;
      });
      setCookie(c, SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: "Lax",
        secure: new URL(c.req.url).protocol === "https:",
        path: "/",
        expires: new Date(result.expiresAt),
      });
      return c.json(result, 200);
    },
  );

  app.use("/api/auth/logout", requireSession);
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/auth/logout",
      tags: ["Session"],
      security,
      summary: "Sign out",
      responses: { 204: { description: "Signed out" }, 401: errors[401] },
    }),
    async (c) => {
      const token =
        /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1] ??
        getCookie(c, SESSION_COOKIE);
      if (token) await logout(c.get("deps"), token);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    },
  );

  app.use("/api/me", requireSession);
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/me",
      tags: ["Session"],
      security,
      summary: "The signed-in user, tenant and permissions",
      responses: {
        200: jsonResponse(
          z.object({ user: UserSchema, tenant: TenantSchema, permissions: z.array(z.string()) }),
          "Me",
        ),
        401: errors[401],
      },
    }),
    async (c) => c.json(await me(ctxOf(c)), 200),
  );

  const users = ["Users"];
  app.use("/api/users", requireSession, requirePermission(PERMISSIONS.users));
  app.use("/api/users/*", requireSession, requirePermission(PERMISSIONS.users));
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/users",
      tags: users,
      security,
      summary: "List users",
      request: { query: UserQuery },
      responses: {
        200: jsonResponse(listOf(UserSchema, "UserList"), "Users"),
        ...guarded,
        400: errors[400],
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      return c.json(
        await listUsers(ctxOf(c), { ...query, includeDeleted: query.includeDeleted === "true" }),
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/users",
      tags: users,
      security,
      summary: "Create a password user",
      request: { body: jsonBody(CreateUserSchema) },
      responses: {
        201: jsonResponse(UserSchema, "Created"),
        ...guarded,
        400: errors[400],
        409: errors[409],
      },
    }),
    async (c) => c.json(await createUser(ctxOf(c), c.req.valid("json")), 201),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/users/{id}",
      tags: users,
      security,
      summary: "Get a user",
      request: { params: IdParam },
      responses: { 200: jsonResponse(UserSchema, "The user"), ...guarded, 404: errors[404] },
    }),
    async (c) => c.json(await getUser(ctxOf(c), c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "patch",
      path: "/api/users/{id}",
      tags: users,
      security,
      summary: "Change a user",
      request: { params: IdParam, body: jsonBody(UpdateUserSchema) },
      responses: {
        200: jsonResponse(UserSchema, "Updated"),
        ...guarded,
        400: errors[400],
        404: errors[404],
        409: errors[409],
      },
    }),
    async (c) =>
      c.json(await updateUser(ctxOf(c), c.req.valid("param").id, c.req.valid("json")), 200),
  );
  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/users/{id}",
      tags: users,
      security,
      summary: "Delete a user (soft)",
      request: { params: IdParam },
      responses: {
        204: { description: "Deleted" },
        ...guarded,
        404: errors[404],
        409: errors[409],
      },
    }),
    async (c) => {
      await deleteUser(ctxOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.use("/api/groups", requireSession, requirePermission(PERMISSIONS.users));
  app.use("/api/groups/*", requireSession, requirePermission(PERMISSIONS.users));
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/groups",
      tags: users,
      security,
      summary: "Synchronized groups",
      request: { query: PageQuery },
      responses: { 200: jsonResponse(listOf(GroupSchema, "GroupList"), "Groups"), ...guarded },
    }),
    async (c) => c.json(await listGroups(ctxOf(c), c.req.valid("query")), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/groups/{id}/members",
      tags: users,
      security,
      summary: "Members of a synchronized group",
      request: { params: IdParam, query: PageQuery },
      responses: {
        200: jsonResponse(listOf(UserSchema, "GroupMemberList"), "Members"),
        ...guarded,
        404: errors[404],
      },
    }),
    async (c) =>
      c.json(await listGroupMembers(ctxOf(c), c.req.valid("param").id, c.req.valid("query")), 200),
  );

  const notifications = ["Notifications"];
  app.use("/api/notifications", requireSession);
  app.use("/api/notifications/*", requireSession);
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/notifications",
      tags: notifications,
      security,
      summary: "My notifications, newest first",
      request: { query: PageQuery.extend({ unread: z.enum(["true", "false"]).optional() }) },
      responses: {
        200: jsonResponse(listOf(NotificationSchema, "NotificationList"), "Notifications"),
        401: errors[401],
      },
    }),
    async (c) => {
      const query = c.req.valid("query");
      return c.json(
        await listNotifications(ctxOf(c), { ...query, unread: query.unread === "true" }),
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/notifications/{id}/read",
      tags: notifications,
      security,
      summary: "Mark one read",
      request: { params: IdParam },
      responses: { 204: { description: "Read" }, 401: errors[401], 404: errors[404] },
    }),
    async (c) => {
      await markNotificationRead(ctxOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/notifications/read-all",
      tags: notifications,
      security,
      summary: "Mark all read",
      responses: { 204: { description: "Read" }, 401: errors[401] },
    }),
    async (c) => {
      await markAllNotificationsRead(ctxOf(c));
      return c.body(null, 204);
    },
  );
}
