import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp, timestamps } from "./columns.ts";
import { tenants } from "./tenants.ts";

export const CONNECTION_STATUSES = ["draft", "connected", "error"] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export type ConnectionError = { code: string; message: string; details?: unknown };

export const connections = sqliteTable(
  "connections",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    type: text().notNull(),
    name: text().notNull(),
    settings: text({ mode: "json" }).$type<Record<string, unknown>>().notNull(),
    /** AES-256-GCM ciphertext of the secret (see core/secrets.ts); never returned. */
    secretCiphertext: text().notNull(),
    secretExpiresAt: timestamp(),
    status: text({ enum: CONNECTION_STATUSES }).notNull().default("draft"),
    lastError: text({ mode: "json" }).$type<ConnectionError>(),
    autoSyncEnabled: integer({ mode: "boolean" }).notNull().default(false),
    autoSyncActivatedAt: timestamp(),
    autoSyncNextRunAt: timestamp(),
    /**
     * AES-256-GCM ciphertext of the connector's change cursor (`readChanges`; for Entra the
     * Graph delta links and the selected groups' tree); null = the next run reads everything.
     * Dropped on any change of settings or scope; never returned.
     */
    deltaCursorCiphertext: text(),
    /** When the directory issued the stored cursor (`ChangesEnd.issuedAt`); Graph keeps 7 days. */
    deltaCursorIssuedAt: timestamp(),
    /** Why the cursor was dropped (`settings_changed`), for the next full run's `fullReason`. */
    deltaCursorDropped: text({ enum: ["settings_changed"] }),
    /**
     * Lower-cased emails users failed for because another user held them, as of the last
     * clean run: a run reading changes that frees one reads everything, to retry that user.
     */
    deltaEmailConflicts: text({ mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** UTC day (YYYY-MM-DD) of the last secret-expiry notice: at most one a day. */
    expiryNoticeDay: text(),
    ...timestamps,
  },
  (t) => [
    index("connections_tenant_idx").on(t.tenantId),
    index("connections_next_run_idx").on(t.autoSyncEnabled, t.autoSyncNextRunAt),
  ],
);

export type Connection = typeof connections.$inferSelect;
