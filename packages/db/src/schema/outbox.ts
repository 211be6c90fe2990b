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
    /** The run whose welcome email this is (null for other kinds): the run detail counts them. */
    runId: text(),
    to: text().notNull(),
    subject: text().notNull(),
    kind: text().notNull(),
    status: text({ enum: OUTBOX_STATUSES }).notNull().default("pending"),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp(),
    lastError: text(),
    /** Lease: the dispatcher process sending this row, until when (compare-and-set claim). */
    leaseOwner: text(),
    leaseExpiresAt: timestamp(),
    /**
     * The Idempotency-Key of the batch this row was first sent in, derived from its rows' ids;
     * kept until the row is settled so a retry after a crash or timeout sends nothing twice.
     */
    idempotencyKey: text(),
    providerId: text(),
    createdAt: timestamp().notNull(),
    sentAt: timestamp(),
  },
  (t) => [
    index("outbox_status_next_idx").on(t.status, t.nextAttemptAt),
    index("outbox_created_idx").on(t.createdAt),
    index("outbox_run_idx").on(t.runId, t.status),
    // The dispatcher's claim: pending rows of a group (by key) or not yet grouped, oldest first.
    // It covers the claim's whole filter: the lease and retry columns are stored after the
    // body, and checking them in the table read ~2.5 KB per pending row on every claim.
    index("outbox_claim_idx").on(
      t.status,
      t.idempotencyKey,
      t.createdAt,
      t.id,
      t.leaseExpiresAt,
      t.nextAttemptAt,
    ),
  ],
);

export type OutboxRow = typeof outbox.$inferSelect;

/**
 * An outbox row's body: AES-256-GCM ciphertext of `{ text, html }` (a welcome email holds a
 * PIN), deleted once delivered. Apart from its row because the dispatcher rewrites each row
 * twice (the claim's lease, then its outcome) and SQLite rewrites a row whole: with the body
 * in it, claiming 5,000 emails wrote ~8 MB and held the write lock ~215 ms (measured).
 */
export const outboxBodies = sqliteTable("outbox_bodies", {
  outboxId: text()
    .primaryKey()
    .references(() => outbox.id, { onDelete: "cascade" }),
  ciphertext: text().notNull(),
});
