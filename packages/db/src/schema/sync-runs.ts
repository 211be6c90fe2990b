import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns.ts";
import { tenants } from "./tenants.ts";
import { users } from "./users.ts";

export const RUN_OUTCOMES = [
  "running",
  "succeeded",
  "completed_with_errors",
  "needs_review",
  "failed",
  "cancelled",
] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];
/** `provision`: one user synced on demand (provision on demand), not a read of the directory. */
export const RUN_TRIGGERS = ["manual", "automatic", "provision"] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

/** A full run reads the whole scope; an incremental one only what changed since the cursor. */
export const RUN_MODES = ["full", "incremental"] as const;
export type RunMode = (typeof RUN_MODES)[number];

export type RunCounts = {
  created: number;
  updated: number;
  restored: number;
  deleted: number;
  skipped: number;
  unchanged: number;
  failed: number;
};

/** Where a run or preview is: what it does now, how far it got (written at most every ~1 s). */
export const RUN_PHASES = [
  "starting",
  "reading",
  "writing",
  "deleting",
  "groups",
  "emails",
  "done",
] as const;
export type RunPhase = (typeof RUN_PHASES)[number];

export type RunProgress = {
  phase: RunPhase;
  pagesRead: number;
  usersRead: number;
  counts: RunCounts;
  /** When the progress was written (ms since the epoch). */
  at: number;
};

export const syncRuns = sqliteTable(
  "sync_runs",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    /** Kept after the connection is deleted: the log outlives it. */
    connectionId: text().notNull(),
    trigger: text({ enum: RUN_TRIGGERS }).notNull(),
    mode: text({ enum: RUN_MODES }).notNull().default("full"),
    /** Why a run read everything (first run, settings changed, cursor expired, weekly reconciliation…); null for incremental runs. */
    fullReason: text(),
    triggeredBy: text(),
    outcome: text({ enum: RUN_OUTCOMES }).notNull(),
    error: text(),
    counts: text({ mode: "json" }).$type<RunCounts>().notNull(),
    /** Deletions above the limit were confirmed by an administrator for this run. */
    deletionLimitLifted: integer({ mode: "boolean" }).notNull().default(false),
    /**
     * Application users an administrator confirmed for this run: directory data may link,
     * convert or restore them although they hold a role or a password (spec §4.11).
     */
    confirmedUserIds: text({ mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
    /** Deletions a needs_review run held back (shown to the administrator). */
    pendingDeletions: integer().notNull().default(0),
    /** The scheduled slot this automatic run serves: one run per slot across instances. */
    slot: timestamp(),
    /** Lease: a running run whose lease lapsed belongs to a dead process. */
    leaseOwner: text(),
    leaseExpiresAt: timestamp(),
    /** Live progress of a running run; its last value once it ended. */
    progress: text({ mode: "json" }).$type<RunProgress>(),
    /** An administrator asked to cancel: the process running it stops at its next progress write. */
    cancelRequestedAt: timestamp(),
    startedAt: timestamp().notNull(),
    finishedAt: timestamp(),
  },
  (t) => [
    // spec §4: only one run of a connection at a time
    uniqueIndex("sync_runs_one_running").on(t.connectionId).where(sql`${t.outcome} = 'running'`),
    uniqueIndex("sync_runs_connection_slot_unique")
      .on(t.connectionId, t.slot)
      .where(sql`${t.slot} is not null`),
    index("sync_runs_connection_started_idx").on(t.connectionId, t.startedAt),
    index("sync_runs_tenant_idx").on(t.tenantId),
  ],
);

/**
 * `review`: a user the run held back until an administrator confirms or leaves it alone;
 * `pending_deletion`: a user a needs_review run would have deleted (shown for confirmation).
 */
export const RUN_ISSUE_KINDS = ["failure", "warning", "review", "pending_deletion"] as const;
export type RunIssueKind = (typeof RUN_ISSUE_KINDS)[number];

/** A user that failed, or a warning, recorded on a run. */
export const syncRunIssues = sqliteTable(
  "sync_run_issues",
  {
    id: text().primaryKey(),
    runId: text()
      .notNull()
      .references(() => syncRuns.id, { onDelete: "cascade" }),
    kind: text({ enum: RUN_ISSUE_KINDS }).notNull(),
    externalId: text(),
    /** The application user a `review` issue is about (what the administrator confirms). */
    userId: text(),
    email: text(),
    displayName: text(),
    code: text().notNull(),
    message: text().notNull(),
  },
  (t) => [
    index("sync_run_issues_run_idx").on(t.runId, t.kind),
    // Run detail: failures grouped by reason, and a reason's page.
    index("sync_run_issues_run_code_idx").on(t.runId, t.kind, t.code, t.id),
  ],
);

export const PREVIEW_STATUSES = ["running", "succeeded", "failed", "cancelled"] as const;
export type PreviewStatus = (typeof PREVIEW_STATUSES)[number];

/**
 * A preview run as a background job: it reads the whole directory, which can take minutes,
 * so it outlives the request that started it; its result is kept for the administrator.
 */
export const syncPreviews = sqliteTable(
  "sync_previews",
  {
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    connectionId: text().notNull(),
    requestedBy: text(),
    status: text({ enum: PREVIEW_STATUSES }).notNull(),
    progress: text({ mode: "json" }).$type<RunProgress>(),
    /** The preview's counts, samples and outcome once it finished. */
    result: text({ mode: "json" }).$type<Record<string, unknown>>(),
    error: text(),
    cancelRequestedAt: timestamp(),
    startedAt: timestamp().notNull(),
    finishedAt: timestamp(),
  },
  (t) => [index("sync_previews_connection_started_idx").on(t.connectionId, t.startedAt)],
);

export type SyncPreview = typeof syncPreviews.$inferSelect;

export type SyncRun = typeof syncRuns.$inferSelect;
export type SyncRunIssue = typeof syncRunIssues.$inferSelect;

/**
 * Application users an administrator chose to leave alone for a connection: its runs never
 * link, convert or restore them from the directory.
 */
export const syncExclusions = sqliteTable(
  "sync_exclusions",
  {
    connectionId: text().notNull(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    createdBy: text(),
    createdAt: timestamp().notNull(),
  },
  (t) => [primaryKey({ columns: [t.connectionId, t.userId] })],
);
