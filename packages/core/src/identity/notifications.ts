import { notifications } from "@roster/db";
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { afterCursor, decodeCursor, iso, toPage } from "../paging.ts";

const ownerOf = (ctx: Ctx) => {
  if (ctx.actor.kind !== "user") throw new DomainError("unauthenticated", "Sign in first.");
  return ctx.actor.userId;
};

/** The signed-in user's own notifications, newest first. */
export async function listNotifications(
  ctx: Ctx,
  input: { unread?: boolean; limit: number; cursor?: string },
) {
  const userId = ownerOf(ctx);
  const cursor = decodeCursor(input.cursor);
  const rows = await ctx.db.db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.userId, userId),
        eq(notifications.tenantId, ctx.tenantId),
        input.unread ? isNull(notifications.readAt) : undefined,
        afterCursor(cursor, notifications.createdAt, notifications.id, "desc"),
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(input.limit + 1);
  return toPage(
    rows,
    input.limit,
    (row) => ({ at: row.createdAt.getTime(), id: row.id }),
    (row) => ({
      id: row.id,
      kind: row.kind,
      title: row.title,
      body: row.body,
      data: row.data,
      createdAt: iso(row.createdAt) as string,
      readAt: iso(row.readAt),
    }),
  );
}

export async function markNotificationRead(ctx: Ctx, id: string): Promise<void> {
  const userId = ownerOf(ctx);
  const updated = await ctx.db.db
    .update(notifications)
    .set({ readAt: ctx.clock.now() })
    .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
    .returning({ id: notifications.id });
  if (updated.length === 0) throw notFound("The notification");
}

export async function markAllNotificationsRead(ctx: Ctx): Promise<void> {
  const userId = ownerOf(ctx);
  await ctx.db.db
    .update(notifications)
    .set({ readAt: ctx.clock.now() })
    .where(and(eq(notifications.userId, userId), isNull(notifications.readAt)));
}
