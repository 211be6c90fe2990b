import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

export const NOTIFICATION_KINDS = [
  "user_sync.finished",
  "user_sync.changes",
  "user_sync.failed",
  "user_sync.needs_review",
  "user_sync.secret_expiring",
  "user_sync.secret_expired",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export type NotificationData = {
  connectionId?: string;
  runId?: string;
  counts?: Record<string, number>;
};

export const notifications = sqliteTable(
  "notifications",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    kind: text({ enum: NOTIFICATION_KINDS }).notNull(),
    title: text().notNull(),
    body: text().notNull(),
    data: text({ mode: "json" }).$type<NotificationData>().notNull(),
    /** e.g. `run:<id>` or `expiry:<connection>:<day>`: nobody is told twice about one thing. */
    dedupeKey: text().notNull(),
    createdAt: timestamp().notNull(),
    readAt: timestamp(),
  },
  (t) => [
    uniqueIndex("notifications_user_dedupe_unique").on(t.userId, t.dedupeKey),
    index("notifications_user_created_idx").on(t.userId, t.createdAt),
  ],
);

export type Notification = typeof notifications.$inferSelect;
