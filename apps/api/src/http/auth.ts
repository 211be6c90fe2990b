import { authenticate, DomainError, type Permission } from "@roster/core";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./env.ts";

export const SESSION_COOKIE = "roster_session";

const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * Resolves the session from `Authorization: Bearer` or the `roster_session` cookie.
 * Cookie-authenticated unsafe requests must come from the same origin (CSRF).
 */
export const requireSession = createMiddleware<AppEnv>(async (c, next) => {
  const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header("authorization") ?? "")?.[1]?.trim();
  const cookie = bearer ? undefined : getCookie(c, SESSION_COOKIE);
  const token = bearer ?? cookie;
  if (!token) throw new DomainError("unauthenticated", "Sign in first.");
  const session = await authenticate(c.get("deps"), token);
  if (!session)
    throw new DomainError("unauthenticated", "Your session has expired; sign in again.");
  if (!bearer && UNSAFE.has(c.req.method)) {
    // The public URL, not the request's: behind a TLS proxy the request says http://internal.
    const origin = c.req.header("origin");
    if (!origin || origin !== c.get("publicOrigin")) {
      throw new DomainError(
        "forbidden",
        `Cross-site request refused: the Origin header must be ${c.get("publicOrigin")} (ROSTER_PUBLIC_URL).`,
      );
    }
  }
  c.set("session", { ...session, viaCookie: !bearer });
  await next();
});

export const requirePermission = (permission: Permission) =>
  createMiddleware<AppEnv>(async (c, next) => {
    if (!c.get("session").permissions.includes(permission)) {
      throw new DomainError("forbidden", `This needs the ${permission} permission.`);
    }
    await next();
  });

/** The core call context for the signed-in user: every query is scoped to their tenant. */
export const ctxOf = (c: {
  get(key: "deps"): AppEnv["Variables"]["deps"];
  get(key: "session"): AppEnv["Variables"]["session"];
}) => {
  const session = c.get("session");
  return {
    ...c.get("deps"),
    tenantId: session.tenantId,
    actor: { kind: "user" as const, userId: session.userId },
  };
};
