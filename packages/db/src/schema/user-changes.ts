import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const USER_CHANGE_KINDS = ["created", "updated", "restored", "deleted"] as const;
export type UserChangeKind = (typeof USER_CHANGE_KINDS)[number];

/**
 * Which run changed which user, and how: the history a user's page shows. Written with the
 * change itself, in the same transaction; unchanged users write nothing. Kept after the run
 * and the user are gone (ids, no foreign keys), like the run log.
 */
export const userChanges = sqliteTable(
  "user_changes",
  {
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text().notNull(),
    runId: text().notNull(),
    kind: text({ enum: USER_CHANGE_KINDS }).notNull(),
    at: timestamp().notNull(),
  },
  (t) => [index("user_changes_user_idx").on(t.userId, t.at)],
);

export type UserChange = typeof userChanges.$inferSelect;
