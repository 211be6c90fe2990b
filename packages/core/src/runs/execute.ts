import type { ChangesEnd } from "@roster/connector-kit";
import {
  type Connection,
  connections,
  type SyncRun,
  syncExclusions,
  syncRunIssues,
  syncRuns,
  tenants,
} from "@roster/db";
import { and, asc, desc, eq } from "drizzle-orm";
import { checkSecretExpiry } from "../connections/expiry.ts";
import { connectorOf, decryptSecret, loadConnection } from "../connections/manage.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { errorMessage } from "../logger.ts";
import { countRunEmails } from "../outbox/run-emails.ts";
import { afterCursor, decodeCursor, type Page, toPage } from "../paging.ts";
import type { ProgressListener } from "../sync/progress.ts";
import {
  LeaseLostError,
  type RunLease,
  type RunOutcome,
  recordOutcome,
} from "../sync/store/index.ts";
import { type SyncTarget, synchronize } from "../sync/synchronize.ts";
import { changeStateOf, keepCursor } from "./change-state.ts";
import { summarizeRunIssues } from "./issues.ts";
import { claimRun, holdLease, type NewRun } from "./lease.ts";
import { notifyRunFinished } from "./notify.ts";
import { CancelledError, progressWriter, runProgressStatement } from "./progress-writer.ts";
import { failureView, heldView, type RunView, runView, warningView } from "./views.ts";

/**
 * Claims a run and executes it in the background of this process: the request that
 * triggered it gets the run at once and never waits for the directory.
 */
export async function startRun(deps: CoreDeps, run: NewRun): Promise<SyncRun> {
  if (deps.tracker && !deps.tracker.accepting) {
    throw new DomainError(
      "sync_in_progress",
      "The service is shutting down; try again in a moment.",
    );
  }
  const runId = await claimRun(deps, run);
  // At the edge the run is only claimed: a sync worker executes it (runs/handoff.ts).
  if (deps.handOffRuns) return (await loadRun(deps, runId)) as SyncRun;
  const execution = (signal?: AbortSignal) => executeRun(deps, runId, signal);
  // Background work: the tracker's promise never rejects; without one, failures are logged.
  if (deps.tracker) void deps.tracker.start(runId, execution);
  else
    execution().catch((error) =>
      deps.log.error("run crashed", { runId, error: errorMessage(error) }),
    );
  return (await loadRun(deps, runId)) as SyncRun;
}

async function loadRun(deps: CoreDeps, runId: string) {
  const [run] = await deps.db.db.select().from(syncRuns).where(eq(syncRuns.id, runId));
  return run;
}

/** A connection that passed Connect; anything else is a 409 `not_connected`. */
export async function loadConnectedConnection(ctx: Ctx, id: string, doing: string) {
  const connection = await loadConnection(ctx, id);
  if (connection.status !== "connected") {
    throw new DomainError("not_connected", `Connect the directory successfully before ${doing}.`);
  }
  return connection;
}

/** Sync now (spec §6): a manual run by the signed-in administrator. */
export async function triggerSync(
  ctx: Ctx,
  connectionId: string,
  mode: "full" | "incremental" = "incremental",
): Promise<RunView> {
  await loadConnectedConnection(ctx, connectionId, "synchronizing");
  const run = await startRun(ctx, {
    tenantId: ctx.tenantId,
    connectionId,
    trigger: "manual",
    triggeredBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
    mode,
  });
  return runView(run);
}

/** Runs a claimed run to its end; never throws (the outcome is recorded on the run). */
export async function executeRun(
  deps: CoreDeps,
  runId: string,
  signal?: AbortSignal,
): Promise<void> {
  const run = await loadRun(deps, runId);
  if (!run?.leaseOwner || run.outcome !== "running") return;
  const lease: RunLease = { runId, token: run.leaseOwner };
  const log = deps.log.child({ runId, connectionId: run.connectionId });
  // Stops the run when this process shuts down, or as soon as it no longer holds the lease.
  const stop = new AbortController();
  signal?.addEventListener("abort", () => stop.abort(signal.reason), { once: true });
  // Cancelled while it waited for its turn, here or from another process.
  if (signal?.aborted) stop.abort(signal.reason);
  if (run.cancelRequestedAt) stop.abort(new CancelledError());
  const held = holdLease(deps, lease, () => stop.abort(new LeaseLostError()));
  const progress = progressWriter(deps, runProgressStatement(runId, lease.token), () =>
    stop.abort(new CancelledError()),
  );
  let result: RunOutcome;
  let cursor: ChangesEnd | null = null;
  let conflicts: string[] = [];
  try {
    stop.signal.throwIfAborted();
    const synchronized = await synchronize(
      deps,
      await runTarget(deps, run),
      {
        dryRun: false,
        lease,
        deletionLimitLifted: run.deletionLimitLifted,
        confirmedUserIds: run.confirmedUserIds,
        read: run.fullReason === "requested" ? "full" : "incremental",
        onProgress: progress.listener,
      },
      stop.signal,
    );
    result = synchronized;
    cursor = synchronized.cursor;
    conflicts = synchronized.emailConflicts;
  } catch (error) {
    log.error("sync failed", { error: errorMessage(error) });
    const reason = errorMessage(error);
    result = { outcome: "failed", error: reason, counts: run.counts, pendingDeletions: 0 };
  } finally {
    held.stop();
    await progress.flush();
  }
  // A run that stopped because it was cancelled (not one that finished meanwhile).
  if (result.outcome === "failed" && stop.signal.reason instanceof CancelledError) {
    result = { ...result, outcome: "cancelled", error: stop.signal.reason.message };
  }
  const finished = await recordOutcome(deps, lease, result);
  if (!finished) {
    log.warn("sync taken over: another process reaped this run; its outcome stays as recorded");
    return;
  }
  if (
    cursor &&
    (finished.outcome === "succeeded" || finished.outcome === "completed_with_errors")
  ) {
    // A cursor the database cannot keep (sqld refuses a bound value over 5 MB) costs only a
    // full read next time: the run itself is done and recorded.
    await keepCursor(deps, run.connectionId, cursor, run.startedAt, conflicts).catch(
      (error: unknown) =>
        log.warn("the change cursor could not be kept; the next run reads everything", {
          error: errorMessage(error),
        }),
    );
  }
  log.info("sync finished", { outcome: result.outcome, counts: result.counts });
  const [connection] = await deps.db.db
    .select({ name: connections.name })
    .from(connections)
    .where(eq(connections.id, run.connectionId));
  await notifyRunFinished(deps, finished, connection?.name ?? "deleted connection").catch((error) =>
    log.error("notification failed", { error: String(error) }),
  );
}

/** What a claimed run synchronizes; throws (failing the run) if it cannot start. */
async function runTarget(deps: CoreDeps, run: SyncRun): Promise<SyncTarget> {
  const [connection] = await deps.db.db
    .select()
    .from(connections)
    .where(eq(connections.id, run.connectionId));
  const [tenant] = await deps.db.db.select().from(tenants).where(eq(tenants.id, run.tenantId));
  if (!connection || !tenant) throw new Error("The connection was deleted before the run started.");
  await checkSecretExpiry(deps, connection);
  if (connection.secretExpiresAt && connection.secretExpiresAt <= deps.clock.now()) {
    throw new Error(
      `The application secret expired on ${connection.secretExpiresAt.toISOString().slice(0, 10)}; save a new secret on the connection.`,
    );
  }
  deps.log.info("sync started", { runId: run.id, trigger: run.trigger });
  return targetOf(deps, connection, tenant.name);
}

/** What a run or a preview of `connection` reads and writes. */
async function targetOf(
  deps: CoreDeps,
  connection: Connection,
  tenantName: string,
): Promise<SyncTarget> {
  const connector = connectorOf(deps, connection.type);
  return {
    tenantId: connection.tenantId,
    tenantName,
    connectionId: connection.id,
    connector,
    settings: connector.settings.parse(connection.settings) as Record<string, unknown>,
    secret: decryptSecret(deps, connection),
    changes: await changeStateOf(deps, connection),
  };
}

/** Preview: what a run would do now, with nothing written. */
export async function previewSync(
  ctx: Ctx,
  connectionId: string,
  job: { signal?: AbortSignal; onProgress?: ProgressListener } = {},
) {
  const connection = await loadConnectedConnection(ctx, connectionId, "previewing");
  const [tenant] = await ctx.db.db.select().from(tenants).where(eq(tenants.id, ctx.tenantId));
  // A preview reads what the next run would read, and never keeps the cursor.
  const result = await synchronize(
    ctx,
    await targetOf(ctx, connection, tenant?.name ?? ""),
    { dryRun: true, onProgress: job.onProgress },
    job.signal,
  );
  return {
    outcome: result.outcome,
    error: result.error,
    counts: result.counts,
    aliasesRemoved: result.aliasesRemoved,
    held: result.held,
    pendingDeletions: result.pendingDeletions,
    samples: result.samples,
  };
}

async function loadTenantRun(ctx: Ctx, runId: string) {
  const [run] = await ctx.db.db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.tenantId, ctx.tenantId)));
  if (!run) throw notFound("The run");
  return run;
}

/** What an administrator decides on a `needs_review` run; nothing given confirms everything. */
export type ReviewDecision = {
  /** Lift the deletion limit once for the new run (default: yes). */
  deletions?: boolean;
  /** Held users the directory may take over in the new run (default: every one held). */
  confirmUsers?: string[];
  /** Held users this connection must never take over (default: none). */
  leaveAlone?: string[];
};

/**
 * Answers a `needs_review` run: the deletions it held back, and the existing users it would
 * not link, convert or restore without a confirmation (spec §4.6, §4.11). Users left alone
 * are recorded for the connection; the rest runs again, with a fresh read, confirmed once.
 */
export async function confirmReview(
  ctx: Ctx,
  runId: string,
  decision: ReviewDecision = {},
): Promise<RunView> {
  const reviewed = await loadTenantRun(ctx, runId);
  if (reviewed.outcome !== "needs_review") {
    throw new DomainError("not_needs_review", "Only a run that needs review can be confirmed.");
  }
  await loadConnectedConnection(ctx, reviewed.connectionId, "synchronizing");
  const held = new Set(
    (
      await ctx.db.db
        .select({ userId: syncRunIssues.userId })
        .from(syncRunIssues)
        .where(and(eq(syncRunIssues.runId, runId), eq(syncRunIssues.kind, "review")))
    ).flatMap((issue) => (issue.userId ? [issue.userId] : [])),
  );
  const leaveAlone = decision.leaveAlone ?? [];
  const confirmUsers = decision.confirmUsers ?? [...held].filter((id) => !leaveAlone.includes(id));
  const unknown = [...confirmUsers, ...leaveAlone].filter((id) => !held.has(id));
  if (unknown.length > 0) {
    throw new DomainError("validation_failed", "Only users this run held back can be decided.", {
      userIds: unknown,
    });
  }
  if (leaveAlone.length > 0) {
    await ctx.db.db
      .insert(syncExclusions)
      .values(
        leaveAlone.map((userId) => ({
          connectionId: reviewed.connectionId,
          userId,
          tenantId: ctx.tenantId,
          createdBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
          createdAt: ctx.clock.now(),
        })),
      )
      .onConflictDoNothing();
  }
  const run = await startRun(ctx, {
    tenantId: ctx.tenantId,
    connectionId: reviewed.connectionId,
    trigger: "manual",
    triggeredBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
    deletionLimitLifted: reviewed.pendingDeletions > 0 && decision.deletions !== false,
    confirmedUserIds: confirmUsers,
  });
  return runView(run);
}

export async function listRuns(
  ctx: Ctx,
  connectionId: string,
  page: { limit: number; cursor?: string },
): Promise<Page<RunView>> {
  await loadConnection(ctx, connectionId);
  const cursor = decodeCursor(page.cursor);
  const rows = await ctx.db.db
    .select()
    .from(syncRuns)
    .where(
      and(
        eq(syncRuns.connectionId, connectionId),
        eq(syncRuns.tenantId, ctx.tenantId),
        afterCursor(cursor, syncRuns.startedAt, syncRuns.id, "desc"),
      ),
    )
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(page.limit + 1);
  return toPage(rows, page.limit, (run) => ({ at: run.startedAt.getTime(), id: run.id }), runView);
}

/**
 * The first failures and warnings shown with a run; `totals` counts them all (every one is
 * stored) and `GET …/issues` pages and searches the rest.
 */
export const RUN_DETAIL_ISSUES = 100;

export async function getRun(ctx: Ctx, runId: string) {
  const run = await loadTenantRun(ctx, runId);
  const first = (kind: "failure" | "warning" | "review") =>
    ctx.db.db
      .select()
      .from(syncRunIssues)
      .where(and(eq(syncRunIssues.runId, runId), eq(syncRunIssues.kind, kind)))
      .orderBy(asc(syncRunIssues.id))
      .limit(RUN_DETAIL_ISSUES);
  const [failures, warnings, held, summary] = await Promise.all([
    first("failure"),
    first("warning"),
    first("review"),
    summarizeRunIssues(ctx, runId),
  ]);
  return {
    ...runView(run),
    emails: await countRunEmails(ctx, runId),
    ...summary,
    failures: failures.map(failureView),
    warnings: warnings.map(warningView),
    held: held.map(heldView),
  };
}
