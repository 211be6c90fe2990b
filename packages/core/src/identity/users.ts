import {
  connections,
  groupMembers,
  groups,
  isUniqueViolation,
  newId,
  roles,
  sessions,
  syncRuns,
  type User,
  userAliases,
  userChanges,
  userRoles,
  users,
} from "@roster/db";
import { and, asc, count, desc, eq, inArray, isNotNull, isNull, or, sql } from "drizzle-orm";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { afterCursor, decodeCursor, encodeCursor, type Page } from "../paging.ts";
import { PERMISSIONS } from "../permissions.ts";
import { holdersOf } from "../runs/notify.ts";
import { hashPassword } from "./password-hash.ts";
import { requireGoodPassword } from "./password-policy.ts";
import { refuseRoleChange } from "./role-assignment.ts";
import { type UserView, userView } from "./views.ts";

/** Attaches aliases and role names to a page of users: two queries, not two per user. */
export async function viewsOf(deps: CoreDeps, rows: User[]): Promise<UserView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const aliasRows = await deps.db.db
    .select()
    .from(userAliases)
    .where(inArray(userAliases.userId, ids));
  const roleRows = await deps.db.db
    .select({ userId: userRoles.userId, name: roles.name })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(inArray(userRoles.userId, ids));
  const group = <T>(items: T[], key: (item: T) => string, value: (item: T) => string) => {
    const map = new Map<string, string[]>();
    for (const item of items) map.set(key(item), [...(map.get(key(item)) ?? []), value(item)]);
    return map;
  };
  const aliases = group(
    aliasRows,
    (row) => row.userId,
    (row) => row.alias,
  );
  const roleNames = group(
    roleRows,
    (row) => row.userId,
    (row) => row.name,
  );
  return rows.map((row) =>
    userView(row, aliases.get(row.id) ?? [], (roleNames.get(row.id) ?? []).sort()),
  );
}

export async function loadUser(ctx: Ctx, id: string): Promise<User> {
  const [row] = await ctx.db.db
    .select()
    .from(users)
    .where(and(eq(users.id, id), eq(users.tenantId, ctx.tenantId)));
  if (!row) throw notFound("The user");
  return row;
}

export async function getUser(ctx: Ctx, id: string): Promise<UserView> {
  const [view] = await viewsOf(ctx, [await loadUser(ctx, id)]);
  return view as UserView;
}

/** How the users list can be ordered: creation (the default), name or email. */
export const USER_SORTS = ["created", "name", "email"] as const;
export type UserSort = (typeof USER_SORTS)[number];

export type UserListInput = {
  query?: string;
  tag?: string;
  /** Kept for the contract: true is `deleted: "include"`. */
  includeDeleted?: boolean;
  /** `exclude` (default), `include`, or `only` the soft-deleted users. */
  deleted?: "exclude" | "include" | "only";
  /** A connection id, or `application` for users created in the application. */
  source?: string;
  signIn?: "password" | "microsoft" | "google";
  sort?: UserSort;
  order?: "asc" | "desc";
  limit: number;
  cursor?: string;
};

/** The sort key a name or email cursor carries (compared lower-cased, then by id). */
const sortKey = (sort: UserSort) =>
  sort === "email"
    ? sql<string>`lower(${users.email})`
    : sql<string>`lower(${users.lastName} || ' ' || ${users.firstName})`;

const keyOf = (sort: UserSort, row: User) =>
  sort === "email" ? row.email.toLowerCase() : `${row.lastName} ${row.firstName}`.toLowerCase();

/** A cursor of a name or email ordering: the row's key and id, opaque to clients. */
function decodeKeyCursor(raw: string | undefined): { key: string; id: string } | null {
  if (!raw) return null;
  try {
    const [key, id] = JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as unknown[];
    if (typeof key === "string" && key.length <= 1000 && typeof id === "string" && id.length <= 64)
      return { key, id };
  } catch {
    // fall through
  }
  throw new DomainError("validation_failed", "The cursor is not valid; start again without it.", [
    { path: ["cursor"], message: "Invalid cursor" },
  ]);
}

export async function listUsers(
  ctx: Ctx,
  input: UserListInput,
): Promise<Page<UserView> & { total: number }> {
  const sort = input.sort ?? "created";
  const order = input.order ?? "asc";
  const deleted = input.deleted ?? (input.includeDeleted ? "include" : "exclude");
  const pattern = input.query ? `%${input.query.toLowerCase().replace(/[%_\\]/g, "\\$&")}%` : null;
  const filters = and(
    eq(users.tenantId, ctx.tenantId),
    deleted === "exclude" ? isNull(users.deletedAt) : undefined,
    deleted === "only" ? isNotNull(users.deletedAt) : undefined,
    pattern
      ? or(
          sql`lower(${users.email}) like ${pattern} escape '\\'`,
          sql`lower(${users.firstName}) like ${pattern} escape '\\'`,
          sql`lower(${users.lastName}) like ${pattern} escape '\\'`,
          sql`lower(${users.firstName} || ' ' || ${users.lastName}) like ${pattern} escape '\\'`,
        )
      : undefined,
    input.tag
      ? sql`exists (select 1 from json_each(${users.tags}) t where t.value = ${input.tag})`
      : undefined,
    input.source === "application"
      ? isNull(users.connectionId)
      : input.source
        ? eq(users.connectionId, input.source)
        : undefined,
    input.signIn ? eq(users.signIn, input.signIn) : undefined,
  );
  const [counted] = await ctx.db.db.select({ total: count() }).from(users).where(filters);
  const total = counted?.total ?? 0;
  const direction = order === "asc" ? asc : desc;
  let rows: User[];
  let position: (row: User) => string;
  if (sort === "created") {
    const cursor = decodeCursor(input.cursor);
    rows = await ctx.db.db
      .select()
      .from(users)
      .where(and(filters, afterCursor(cursor, users.createdAt, users.id, order)))
      .orderBy(direction(users.createdAt), direction(users.id))
      .limit(input.limit + 1);
    position = (row) => encodeCursor({ at: row.createdAt.getTime(), id: row.id });
  } else {
    const cursor = decodeKeyCursor(input.cursor);
    const key = sortKey(sort);
    const after = cursor
      ? order === "asc"
        ? sql`(${key}, ${users.id}) > (${cursor.key}, ${cursor.id})`
        : sql`(${key}, ${users.id}) < (${cursor.key}, ${cursor.id})`
      : undefined;
    rows = await ctx.db.db
      .select()
      .from(users)
      .where(and(filters, after))
      .orderBy(direction(key), direction(users.id))
      .limit(input.limit + 1);
    position = (row) =>
      Buffer.from(JSON.stringify([keyOf(sort, row), row.id])).toString("base64url");
  }
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items: await viewsOf(ctx, items),
    nextCursor: rows.length > input.limit && last ? position(last) : null,
    total,
  };
}

/**
 * Where a user comes from and what changed it: its connection, its synchronized groups, and
 * each run that created, updated, restored or deleted it (newest first, at most 100).
 */
export async function userHistory(ctx: Ctx, id: string) {
  const user = await loadUser(ctx, id);
  const [connection] = user.connectionId
    ? await ctx.db.db
        .select({ id: connections.id, name: connections.name, type: connections.type })
        .from(connections)
        .where(and(eq(connections.id, user.connectionId), eq(connections.tenantId, ctx.tenantId)))
    : [];
  const memberOf = await ctx.db.db
    .select({ id: groups.id, name: groups.name, externalId: groups.externalId })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(and(eq(groupMembers.userId, id), eq(groups.tenantId, ctx.tenantId)))
    .orderBy(asc(groups.name));
  const changes = await ctx.db.db
    .select({
      runId: userChanges.runId,
      kind: userChanges.kind,
      at: userChanges.at,
      trigger: syncRuns.trigger,
      outcome: syncRuns.outcome,
    })
    .from(userChanges)
    .leftJoin(syncRuns, eq(syncRuns.id, userChanges.runId))
    .where(and(eq(userChanges.userId, id), eq(userChanges.tenantId, ctx.tenantId)))
    .orderBy(desc(userChanges.at))
    .limit(100);
  return {
    userId: user.id,
    signIn: user.signIn,
    externalId: user.externalId,
    connection: connection ?? null,
    /** The connection was deleted; its users stay. */
    connectionDeleted: Boolean(user.connectionId && !connection),
    groups: memberOf,
    changes: changes.map((change) => ({
      runId: change.runId,
      kind: change.kind,
      at: change.at.toISOString(),
      trigger: change.trigger ?? null,
      outcome: change.outcome ?? null,
    })),
  };
}

type TenantRole = { id: string; name: string; permissions: string[] };

async function rolesByName(ctx: Ctx, requested: string[]): Promise<TenantRole[]> {
  const names = [...new Set(requested)];
  if (names.length === 0) return [];
  const found = await ctx.db.db
    .select({ id: roles.id, name: roles.name, permissions: roles.permissions })
    .from(roles)
    .where(and(eq(roles.tenantId, ctx.tenantId), inArray(roles.name, names)));
  const unknown = names.filter((name) => !found.some((role) => role.name === name));
  if (unknown.length > 0) {
    throw new DomainError("validation_failed", `Unknown role: ${unknown.join(", ")}.`, [
      { path: ["roles"], message: `Unknown role: ${unknown.join(", ")}` },
    ]);
  }
  return found;
}

async function rolesOfUser(ctx: Ctx, userId: string): Promise<TenantRole[]> {
  return ctx.db.db
    .select({ id: roles.id, name: roles.name, permissions: roles.permissions })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(and(eq(userRoles.userId, userId), eq(roles.tenantId, ctx.tenantId)));
}

const emailTaken = (email: string) =>
  new DomainError(
    "email_taken",
    `A user with the email ${email} already exists (possibly deleted).`,
  );

export async function createUser(
  ctx: Ctx,
  input: { email: string; firstName: string; lastName: string; password: string; roles?: string[] },
): Promise<UserView> {
  requireGoodPassword(input.password, ["password"]);
  const granted = await rolesByName(ctx, input.roles ?? ["User"]);
  await refuseRoleChange(ctx, { userId: null, before: [], after: granted });
  const roleIds = granted.map((role) => role.id);
  const now = ctx.clock.now();
  const id = newId("usr");
  const passwordHash = await hashPassword(input.password);
  try {
    await ctx.db.db.transaction(async (tx) => {
      await tx.insert(users).values({
        id,
        tenantId: ctx.tenantId,
        email: input.email.trim(),
        firstName: input.firstName,
        lastName: input.lastName,
        signIn: "password",
        passwordHash,
        createdAt: now,
        updatedAt: now,
      });
      if (roleIds.length > 0)
        await tx.insert(userRoles).values(roleIds.map((roleId) => ({ userId: id, roleId })));
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken(input.email);
    throw error;
  }
  return getUser(ctx, id);
}

export async function updateUser(
  ctx: Ctx,
  id: string,
  patch: {
    email?: string;
    firstName?: string;
    lastName?: string;
    roles?: string[];
    aliases?: string[];
  },
): Promise<UserView> {
  const current = await loadUser(ctx, id);
  const granted = patch.roles ? await rolesByName(ctx, patch.roles) : null;
  if (granted)
    await refuseRoleChange(ctx, { userId: id, before: await rolesOfUser(ctx, id), after: granted });
  const roleIds = granted?.map((role) => role.id) ?? null;
  if (patch.roles && !patch.roles.includes("Administrator"))
    await refuseLastAdministrator(ctx, [id]);
  try {
    await ctx.db.db.transaction(async (tx) => {
      await tx
        .update(users)
        .set({
          email: patch.email?.trim() ?? current.email,
          firstName: patch.firstName ?? current.firstName,
          lastName: patch.lastName ?? current.lastName,
          updatedAt: ctx.clock.now(),
        })
        .where(and(eq(users.id, id), eq(users.tenantId, ctx.tenantId)));
      if (roleIds) {
        await tx.delete(userRoles).where(eq(userRoles.userId, id));
        if (roleIds.length > 0)
          await tx.insert(userRoles).values(roleIds.map((roleId) => ({ userId: id, roleId })));
      }
      if (patch.aliases) {
        await tx.delete(userAliases).where(eq(userAliases.userId, id));
        const unique = [
          ...new Map(patch.aliases.map((alias) => [alias.toLowerCase(), alias])).values(),
        ];
        if (unique.length > 0) {
          await tx
            .insert(userAliases)
            .values(unique.map((alias) => ({ tenantId: ctx.tenantId, userId: id, alias })));
        }
      }
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    if (patch.email && String(error).includes("users")) throw emailTaken(patch.email);
    throw new DomainError(
      "conflict",
      "One of these aliases belongs to another user of the tenant.",
      { aliases: patch.aliases },
    );
  }
  return getUser(ctx, id);
}

/** Refuses a change that would leave the tenant without an active user-sync administrator. */
async function refuseLastAdministrator(ctx: Ctx, leaving: string[]): Promise<void> {
  const holders = await holdersOf(ctx, ctx.tenantId, PERMISSIONS.userSync);
  if (holders.length > 0 && holders.every((holder) => leaving.includes(holder))) {
    throw new DomainError(
      "last_administrator",
      "This is the last administrator of the tenant; appoint another first.",
    );
  }
}

/** Soft delete: the record stays and can be restored; its sessions end. */
export async function deleteUser(ctx: Ctx, id: string): Promise<void> {
  const user = await loadUser(ctx, id);
  if (user.deletedAt) return;
  await refuseLastAdministrator(ctx, [id]);
  const now = ctx.clock.now();
  await ctx.db.db.update(users).set({ deletedAt: now, updatedAt: now }).where(eq(users.id, id));
  await ctx.db.db.delete(sessions).where(eq(sessions.userId, id));
}

/**
 * Restores a soft-deleted user (its roles, aliases and PIN were kept). A user the directory
 * still lacks is deleted again by the next run that manages deletion: restore it in the
 * directory too.
 */
export async function restoreUser(ctx: Ctx, id: string): Promise<UserView> {
  const user = await loadUser(ctx, id);
  if (!user.deletedAt) throw new DomainError("conflict", "The user is not deleted.");
  await ctx.db.db
    .update(users)
    .set({ deletedAt: null, updatedAt: ctx.clock.now() })
    .where(and(eq(users.id, id), eq(users.tenantId, ctx.tenantId)));
  return getUser(ctx, id);
}
