import { type RunCounts, type SyncRun, syncRuns } from "@roster/db";
import { and, eq } from "drizzle-orm";
import type { CoreDeps } from "../../context.ts";
import type { RunLease } from "./lease.ts";

export type RunOutcome = {
  outcome: "succeeded" | "completed_with_errors" | "needs_review" | "failed" | "cancelled";
  error: string | null;
  counts: RunCounts;
  pendingDeletions: number;
  /** What the run read (absent when it failed before reading). */
  mode?: "full" | "incremental";
  fullReason?: string | null;
};

/**
 * Records how a run ended and releases its lease — only while the run still holds it: a
 * run another process reaped keeps the outcome the reaper gave it. Returns the finished
 * run, or null if it was taken over.
 */
export async function recordOutcome(
  deps: CoreDeps,
  lease: RunLease,
  result: RunOutcome,
): Promise<SyncRun | null> {
  const [finished] = await deps.db.db
    .update(syncRuns)
    .set({
      outcome: result.outcome,
      error: result.error,
      counts: result.counts,
      pendingDeletions: result.pendingDeletions,
      ...(result.mode ? { mode: result.mode, fullReason: result.fullReason ?? null } : {}),
      finishedAt: deps.clock.now(),
      leaseOwner: null,
      leaseExpiresAt: null,
    })
    .where(
      and(
        eq(syncRuns.id, lease.runId),
        eq(syncRuns.leaseOwner, lease.token),
        eq(syncRuns.outcome, "running"),
      ),
    )
    .returning();
  return finished ?? null;
}
