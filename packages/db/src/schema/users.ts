import { sql } from "drizzle-orm";
import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamp, timestamps } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const SIGN_IN_METHODS = ["password", "microsoft", "google"] as const;
export type SignInMethod = (typeof SIGN_IN_METHODS)[number];

export const users = sqliteTable(
  "users",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    email: text().notNull(),
    firstName: text().notNull(),
    lastName: text().notNull(),
    tags: text({ mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    signIn: text({ enum: SIGN_IN_METHODS }).notNull(),
    passwordHash: text(),
    /** HMAC of the PIN under the tenant's key: uniqueness without storing the PIN. */
    pinHash: text(),
    /** The connection and directory object this user was synced from, if any. */
    connectionId: text(),
    externalId: text(),
    ...timestamps,
    deletedAt: timestamp(),
  },
  (t) => [
    // spec §2: unique per tenant, case-insensitive, soft-deleted included
    uniqueIndex("users_tenant_email_unique").on(t.tenantId, sql`lower(${t.email})`),
    uniqueIndex("users_tenant_pin_unique")
      .on(t.tenantId, t.pinHash)
      .where(sql`${t.pinHash} is not null`),
    index("users_connection_external_idx").on(t.connectionId, t.externalId),
    index("users_tenant_created_idx").on(t.tenantId, t.createdAt, t.id),
    // The active users of a tenant and of a connection, counted by every run reading changes
    // (the deletion limit's base: 235 ms at 100k users from the table) and by every page of
    // the users list (its total: ~8 ms). `deleted_at` is in it, always null, so that the count
    // reads the index alone.
    index("users_active_idx")
      .on(t.tenantId, t.connectionId, t.deletedAt)
      .where(sql`${t.deletedAt} is null`),
  ],
);

export const userAliases = sqliteTable(
  "user_aliases",
  {
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    alias: text().notNull(),
  },
  (t) => [
    uniqueIndex("user_aliases_tenant_alias_unique").on(t.tenantId, sql`lower(${t.alias})`),
    index("user_aliases_user_idx").on(t.userId),
  ],
);

export type User = typeof users.$inferSelect;
export type NewUser = typeof users.$inferInsert;
