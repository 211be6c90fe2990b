import { createHash, randomBytes } from "node:crypto";
import { connections, newId, sessions, tenants, type User, users } from "@roster/db";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError } from "../errors.ts";
import { DUMMY_PASSWORD_HASH, verifyPassword } from "./password-hash.ts";
import { permissionsOf } from "./tenants.ts";
import { getUser, loadUser } from "./users.ts";
import { tenantView } from "./views.ts";

export const SESSION_TTL_MS = 12 * 3600 * 1000;

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

const invalid = () =>
  new DomainError("invalid_credentials", "The tenant, email or password is not right.");

/** Whether any connection of the tenant belongs to a connector that signs its users in. */
async function hasSignInProviders(deps: CoreDeps, tenantSlug: string): Promise<boolean> {
  const rows = await deps.db.db
    .select({ type: connections.type })
    .from(connections)
    .innerJoin(tenants, eq(tenants.id, connections.tenantId))
    .where(eq(tenants.slug, tenantSlug));
  return rows.some((row) => deps.connectors.get(row.type)?.signIn !== undefined);
}

/**
 * Password sign-in; directory users are told to use their directory (spec §4.10) — but only
 * where the tenant offers directory sign-in, or the answer would tell a stranger which
 * emails exist. Every path does the same work (the user lookup, the provider lookup and one
 * argon2 verification), so the time taken tells nothing either.
 */
export async function login(
  deps: CoreDeps,
  input: { tenant: string; email: string; password: string },
) {
  const tenantSlug = input.tenant.trim().toLowerCase();
  const [row] = await deps.db.db
    .select({ user: users })
    .from(users)
    .innerJoin(tenants, eq(tenants.id, users.tenantId))
    .where(
      and(
        eq(tenants.slug, tenantSlug),
        sql`lower(${users.email}) = ${input.email.trim().toLowerCase()}`,
        isNull(users.deletedAt),
      ),
    );
  const user = row?.user;
  const providers = await hasSignInProviders(deps, tenantSlug);
  const ok = await verifyPassword(input.password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (user && user.signIn !== "password" && providers) {
    const provider = user.signIn;
    throw new DomainError(
      "sso_required",
      `This account signs in with ${provider === "microsoft" ? "Microsoft" : "Google"}, not with a password.`,
      { provider, connectionId: user.connectionId },
    );
  }
  if (!user?.passwordHash || !ok) throw invalid();
  return issueSession(deps, user);
}

/** A new session for a user who proved who they are: by password or through their directory. */
export async function issueSession(deps: CoreDeps, user: Pick<User, "id" | "tenantId">) {
  const token = randomBytes(32).toString("base64url");
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await deps.db.db.insert(sessions).values({
    id: newId("ses"),
    tenantId: user.tenantId,
    userId: user.id,
    tokenHash: hashToken(token),
    createdAt: now,
    expiresAt,
  });
  const ctx: Ctx = { ...deps, tenantId: user.tenantId, actor: { kind: "user", userId: user.id } };
  return { token, user: await getUser(ctx, user.id), expiresAt: expiresAt.toISOString() };
}

export async function logout(deps: CoreDeps, token: string): Promise<void> {
  await deps.db.db.delete(sessions).where(eq(sessions.tokenHash, hashToken(token)));
}

/** The session behind a token, or null when unknown, expired or its user was deleted. */
export async function authenticate(deps: CoreDeps, token: string) {
  const [row] = await deps.db.db
    .select({ session: sessions })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(
      and(
        eq(sessions.tokenHash, hashToken(token)),
        gt(sessions.expiresAt, deps.clock.now()),
        isNull(users.deletedAt),
      ),
    );
  if (!row) return null;
  const { session } = row;
  return {
    tenantId: session.tenantId,
    userId: session.userId,
    sessionId: session.id,
    permissions: await permissionsOf(deps, session.tenantId, session.userId),
  };
}

/** `GET /api/me`. */
export async function me(ctx: Ctx) {
  if (ctx.actor.kind !== "user") throw new DomainError("unauthenticated", "Sign in first.");
  await loadUser(ctx, ctx.actor.userId);
  const [tenant] = await ctx.db.db.select().from(tenants).where(eq(tenants.id, ctx.tenantId));
  return {
    user: await getUser(ctx, ctx.actor.userId),
    tenant: tenantView(tenant as NonNullable<typeof tenant>),
    permissions: await permissionsOf(ctx, ctx.tenantId, ctx.actor.userId),
  };
}
