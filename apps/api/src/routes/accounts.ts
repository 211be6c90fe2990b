import type { BlockList } from "node:net";
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
  restoreUser,
  updateUser,
  userHistory,
} from "@roster/core";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { ctxOf, requirePermission, requireSession, SESSION_COOKIE } from "../http/auth.ts";
import { clientAddress } from "../http/client-address.ts";
import type { AppEnv } from "../http/env.ts";
import { accountKey, type LoginThrottle } from "../http/login-throttle.ts";
import {
  ErrorSchema,
  errorsOf,
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
  UserHistorySchema,
  UserQuery,
  UserSchema,
} from "./account-schemas.ts";
import { withStartUrl } from "./directory-sign-in.ts";

const security = sessionSecurity;
const guarded = { session: true, permission: true };
const usersPermission = { "x-permission": PERMISSIONS.users };

/** Session, users, groups and notifications. */
export function accountRoutes(
  app: OpenAPIHono<AppEnv>,
  options: {
    throttle: LoginThrottle;
    trustedProxies: BlockList;
    secureCookies: boolean;
    publicUrl: string;
  },
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
        ...errorsOf({ body: true, also: [401, 429] }),
        403: jsonResponse(
          ErrorSchema,
          "sso_required: a directory user; details carry provider, connectionId and startUrl",
        ),
      },
    }),
    async (c) => {
      const body = c.req.valid("json");
      const address = clientAddress(c, options.trustedProxies);
      const account = accountKey(body.tenant, body.email);
      options.throttle.check(address, account);
      const result = await login(c.get("deps"), body).catch((error: unknown) => {
        options.throttle.failed(address, account);
        // Directory users get where to sign in instead (spec §4.10).
        if (error instanceof DomainError && error.code === "sso_required") {
          throw withStartUrl(error, options.publicUrl, body);
        }
        throw error;
      });
      options.throttle.succeeded(address, account);
      setCookie(c, SESSION_COOKIE, result.token, {
        httpOnly: true,
        sameSite: "Lax",
        // From ROSTER_PUBLIC_URL: behind a TLS proxy the request itself arrives as http.
        secure: options.secureCookies,
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
      responses: {
        204: { description: "Signed out" },
        ...errorsOf({ session: true, unsafe: true }),
      },
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
        ...errorsOf({ session: true }),
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
      ...usersPermission,
      security,
      summary: "List users",
      request: { query: UserQuery },
      responses: {
        200: jsonResponse(
          listOf(UserSchema, "UserList").extend({
            total: z.number().int().meta({ description: "Users matching the filters, all pages" }),
          }),
          "Users",
        ),
        ...errorsOf({ ...guarded, input: true }),
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
      ...usersPermission,
      security,
      summary: "Create a password user",
      request: { body: jsonBody(CreateUserSchema) },
      responses: {
        201: jsonResponse(UserSchema, "Created"),
        ...errorsOf({ ...guarded, body: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => c.json(await createUser(ctxOf(c), c.req.valid("json")), 201),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/users/{id}",
      tags: users,
      ...usersPermission,
      security,
      summary: "Get a user",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(UserSchema, "The user"),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(await getUser(ctxOf(c), c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/users/{id}/history",
      tags: users,
      ...usersPermission,
      security,
      summary: "Where a user comes from: its connection, groups and the runs that changed it",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(UserHistorySchema, "The user's history"),
        ...errorsOf({ ...guarded, id: true }),
      },
    }),
    async (c) => c.json(await userHistory(ctxOf(c), c.req.valid("param").id), 200),
  );
  app.openapi(
    createRoute({
      method: "patch",
      path: "/api/users/{id}",
      tags: users,
      ...usersPermission,
      security,
      summary: "Change a user",
      request: { params: IdParam, body: jsonBody(UpdateUserSchema) },
      responses: {
        200: jsonResponse(UserSchema, "Updated"),
        ...errorsOf({ ...guarded, id: true, body: true, unsafe: true, also: [409] }),
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
      ...usersPermission,
      security,
      summary: "Delete a user (soft)",
      request: { params: IdParam },
      responses: {
        204: { description: "Deleted" },
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => {
      await deleteUser(ctxOf(c), c.req.valid("param").id);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/api/users/{id}/restore",
      tags: users,
      ...usersPermission,
      security,
      summary: "Restore a soft-deleted user",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(UserSchema, "Restored"),
        ...errorsOf({ ...guarded, id: true, unsafe: true, also: [409] }),
      },
    }),
    async (c) => c.json(await restoreUser(ctxOf(c), c.req.valid("param").id), 200),
  );

  app.use("/api/groups", requireSession, requirePermission(PERMISSIONS.users));
  app.use("/api/groups/*", requireSession, requirePermission(PERMISSIONS.users));
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/groups",
      tags: users,
      ...usersPermission,
      security,
      summary: "Synchronized groups",
      request: { query: PageQuery },
      responses: {
        200: jsonResponse(listOf(GroupSchema, "GroupList"), "Groups"),
        ...errorsOf({ ...guarded, input: true }),
      },
    }),
    async (c) => c.json(await listGroups(ctxOf(c), c.req.valid("query")), 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/groups/{id}/members",
      tags: users,
      ...usersPermission,
      security,
      summary: "Members of a synchronized group",
      request: { params: IdParam, query: PageQuery },
      responses: {
        200: jsonResponse(listOf(UserSchema, "GroupMemberList"), "Members"),
        ...errorsOf({ ...guarded, id: true, input: true }),
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
        ...errorsOf({ session: true, input: true }),
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
      responses: {
        204: { description: "Read" },
        ...errorsOf({ session: true, id: true, unsafe: true }),
      },
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
      responses: {
        204: { description: "Read" },
        ...errorsOf({ session: true, unsafe: true }),
      },
    }),
    async (c) => {
      await markAllNotificationsRead(ctxOf(c));
      return c.body(null, 204);
    },
  );
}
