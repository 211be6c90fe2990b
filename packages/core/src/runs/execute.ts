import { connections, type SyncRun, syncRunIssues, syncRuns, tenants } from "@roster/db";
import { and, asc, desc, eq } from "drizzle-orm";
import { checkSecretExpiry } from "../connections/expiry.ts";
import { connectorOf, decryptSecret, loadConnection } from "../connections/manage.ts";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { errorMessage } from "../logger.ts";
import { countRunEmails } from "../outbox/run-emails.ts";
import { afterCursor, decodeCursor, type Page, toPage } from "../paging.ts";
import {
  LeaseLostError,
  type RunLease,
  type RunOutcome,
  recordOutcome,
} from "../sync/store/index.ts";
import { type SyncTarget, synchronize } from "../sync/synchronize.ts";
import { claimRun, holdLease, type NewRun } from "./lease.ts";
import { notifyRunFinished } from "./notify.ts";
import { failureView, type RunView, runView, warningView } from "./views.ts";

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
async function loadConnectedConnection(ctx: Ctx, id: string, doing: string) {
  const connection = await loadConnection(ctx, id);
  if (connection.status !== "connected") {
    throw new DomainError("not_connected", `Connect the directory successfully before ${doing}.`);
  }
  return connection;
}

/** Sync now (spec §6): a manual run by the signed-in administrator. */
export async function triggerSync(ctx: Ctx, connectionId: string): Promise<RunView> {
  await loadConnectedConnection(ctx, connectionId, "synchronizing");
  const run = await startRun(ctx, {
    tenantId: ctx.tenantId,
    connectionId,
    trigger: "manual",
    triggeredBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
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
  const held = holdLease(deps, lease, () => stop.abort(new LeaseLostError()));
  let result: RunOutcome;
  try {
    result = await synchronize(
      deps,
      await runTarget(deps, run),
      { dryRun: false, lease, deletionLimitLifted: run.deletionLimitLifted },
      stop.signal,
    );
  } catch (error) {
    log.error("sync failed", { error: errorMessage(error) });
    const reason = errorMessage(error);
    result = { outcome: "failed", error: reason, counts: run.counts, pendingDeletions: 0 };
  } finally {
    held.stop();
  }
  const finished = await recordOutcome(deps, lease, result);
  if (!finished) {
    log.warn("sync taken over: another process reaped this run; its outcome stays as recorded");
    return;
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
  const connector = connectorOf(deps, connection.type);
  deps.log.info("sync started", { runId: run.id, trigger: run.trigger });
  return {
    tenantId: run.tenantId,
    tenantName: tenant.name,
    connectionId: connection.id,
    connector,
    settings: connector.settings.parse(connection.settings) as Record<string, unknown>,
    secret: decryptSecret(deps, connection),
  };
}

/** Preview: what a run would do now, with nothing written. */
export async function previewSync(ctx: Ctx, connectionId: string) {
  const connection = await loadConnectedConnection(ctx, connectionId, "previewing");
  const [tenant] = await ctx.db.db.select().from(tenants).where(eq(tenants.id, ctx.tenantId));
  const connector = connectorOf(ctx, connection.type);
  const result = await synchronize(
    ctx,
    {
      tenantId: ctx.tenantId,
      tenantName: tenant?.name ?? "",
      connectionId,
      connector,
      settings: connector.settings.parse(connection.settings) as Record<string, unknown>,
      secret: decryptSecret(ctx, connection),
    },
    { dryRun: true },
  );
  return {
    outcome: result.outcome,
    error: result.error,
    counts: result.counts,
    aliasesRemoved: result.aliasesRemoved,
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

/** Confirms the deletions a `needs_review` run held back: a fresh run with the limit lifted once. */
export async function confirmDeletions(ctx: Ctx, runId: string): Promise<RunView> {
  const reviewed = await loadTenantRun(ctx, runId);
  if (reviewed.outcome !== "needs_review") {
    throw new DomainError("not_needs_review", "Only a run that needs review can be confirmed.");
  }
  await loadConnectedConnection(ctx, reviewed.connectionId, "synchronizing");
  const run = await startRun(ctx, {
    tenantId: ctx.tenantId,
    connectionId: reviewed.connectionId,
    trigger: "manual",
    triggeredBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
    deletionLimitLifted: true,
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

/** Failures and warnings shown with a run (capped: a run over a broken directory can have thousands). */
const ISSUE_LIMIT = 1000;

export async function getRun(ctx: Ctx, runId: string) {
  const run = await loadTenantRun(ctx, runId);
  const issues = await ctx.db.db
    .select()
    .from(syncRunIssues)
    .where(eq(syncRunIssues.runId, runId))
    .orderBy(asc(syncRunIssues.kind), asc(syncRunIssues.id))
    .limit(ISSUE_LIMIT * 2);
  return {
    ...runView(run),
    emails: await countRunEmails(ctx, runId),
    failures: issues
      .filter((issue) => issue.kind === "failure")
      .slice(0, ISSUE_LIMIT)
      .map(failureView),
    warnings: issues
      .filter((issue) => issue.kind === "warning")
      .slice(0, ISSUE_LIMIT)
      .map(warningView),
  };
}
