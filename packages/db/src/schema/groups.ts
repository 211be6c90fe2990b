import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

/** Directory groups synchronized as groups of the application (spec §3). */
export const groups = sqliteTable(
  "groups",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    connectionId: text().notNull(),
    externalId: text().notNull(),
    name: text().notNull(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("groups_connection_external_unique").on(t.connectionId, t.externalId),
    index("groups_tenant_idx").on(t.tenantId),
  ],
);

export const groupMembers = sqliteTable(
  "group_members",
  {
    groupId: text()
      .notNull()
      .references(() => groups.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userId] }),
    index("group_members_user_idx").on(t.userId),
  ],
);

export type Group = typeof groups.$inferSelect;
