import { sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { timestamps } from "./columns.ts";

export const tenants = sqliteTable(
  "tenants",
  {
    id: text().primaryKey(),
    slug: text().notNull(),
    name: text().notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("tenants_slug_unique").on(t.slug)],
);

export type Tenant = typeof tenants.$inferSelect;
