import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns.ts";

export const OUTBOX_STATUSES = ["pending", "sent", "failed"] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * Every email is written here first, in the same transaction as what it belongs to,
 * then delivered by the dispatcher. Bodies are encrypted: a welcome email holds a PIN.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    id: text().primaryKey(),
    tenantId: text(),
    /** The run that queued it (welcome emails), so a run can tell how its emails fared. */
    runId: text(),
    to: text().notNull(),
    subject: text().notNull(),
    kind: text().notNull(),
    /** AES-256-GCM ciphertext of `{ text, html }`; cleared once delivered. */
    bodyCiphertext: text(),
    status: text({ enum: OUTBOX_STATUSES }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp(),
    lastError: text(),
    providerId: text(),
    createdAt: timestamp().notNull(),
    sentAt: timestamp(),
  },
  (t) => [
    index("outbox_status_next_idx").on(t.status, t.nextAttemptAt),
    index("outbox_created_idx").on(t.createdAt),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;
