import { groupMembers, groups, users } from "@roster/db";
import { and, asc, count, eq, inArray } from "drizzle-orm";
import type { Ctx } from "../context.ts";
import { notFound } from "../errors.ts";
import { afterCursor, decodeCursor, iso, type Page, toPage } from "../paging.ts";
import { viewsOf } from "./users.ts";
import type { UserView } from "./views.ts";

export async function listGroups(ctx: Ctx, page: { limit: number; cursor?: string }) {
  const cursor = decodeCursor(page.cursor);
  const rows = await ctx.db.db
    .select()
    .from(groups)
    .where(
      and(
        eq(groups.tenantId, ctx.tenantId),
        afterCursor(cursor, groups.createdAt, groups.id, "asc"),
      ),
    )
    .orderBy(asc(groups.createdAt), asc(groups.id))
    .limit(page.limit + 1);
  const ids = rows.map((row) => row.id);
  const counts = ids.length
    ? await ctx.db.db
        .select({ groupId: groupMembers.groupId, members: count() })
        .from(groupMembers)
        .where(inArray(groupMembers.groupId, ids))
        .groupBy(groupMembers.groupId)
    : [];
  const memberCount = new Map(counts.map((row) => [row.groupId, row.members]));
  return toPage(
    rows,
    page.limit,
    (row) => ({ at: row.createdAt.getTime(), id: row.id }),
    (row) => ({
      id: row.id,
      connectionId: row.connectionId,
      externalId: row.externalId,
      name: row.name,
      memberCount: memberCount.get(row.id) ?? 0,
      createdAt: iso(row.createdAt) as string,
      updatedAt: iso(row.updatedAt) as string,
    }),
  );
}

export async function listGroupMembers(
  ctx: Ctx,
  groupId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<UserView>> {
  const [group] = await ctx.db.db
    .select()
    .from(groups)
    .where(and(eq(groups.id, groupId), eq(groups.tenantId, ctx.tenantId)));
  if (!group) throw notFound("The group");
  const cursor = decodeCursor(page.cursor);
  const rows = await ctx.db.db
    .select({ user: users })
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(
      and(eq(groupMembers.groupId, groupId), afterCursor(cursor, users.createdAt, users.id, "asc")),
    )
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(page.limit + 1);
  const cut = toPage(
    rows,
    page.limit,
    (row) => ({ at: row.user.createdAt.getTime(), id: row.user.id }),
    (row) => row.user,
  );
  return { items: await viewsOf(ctx, cut.items), nextCursor: cut.nextCursor };
}
