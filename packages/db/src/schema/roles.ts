import { index, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

export const roles = sqliteTable(
  "roles",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    name: text().notNull(),
    permissions: text({ mode: "json" }).$type<string[]>().notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("roles_tenant_name_unique").on(t.tenantId, t.name)],
);

export const userRoles = sqliteTable(
  "user_roles",
  {
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    roleId: text()
      .notNull()
      .references(() => roles.id, { onDelete: "cascade" }),
  },
  // By role: "who may administer user sync" starts from the few roles granting it.
  (t) => [primaryKey({ columns: [t.userId, t.roleId] }), index("user_roles_role_idx").on(t.roleId)],
);

export type Role = typeof roles.$inferSelect;
