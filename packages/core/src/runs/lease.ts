import { isUniqueViolation, newId, type RunTrigger, syncRuns } from "@roster/db";
import { and, eq, lt } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";
import { emptyCounts } from "../sync/synchronize.ts";

/** How long a run stays claimed without a heartbeat before another process may take over. */
export const LEASE_MS = 2 * 60 * 1000;

export type NewRun = {
  tenantId: string;
  connectionId: string;
  trigger: RunTrigger;
  triggeredBy: string | null;
  /** The scheduled slot an automatic run serves (one run per slot across instances). */
  slot?: Date | null;
  deletionLimitLifted?: boolean;
};

/**
 * Claims a run: inserts it as `running` with a lease. The database refuses a second running
 * run of a connection (unique partial index), across processes; a run whose lease lapsed
 * (its process died) is marked failed first so that the next can start.
 */
export async function claimRun(deps: CoreDeps, run: NewRun): Promise<string> {
  await failLapsedRuns(deps, run.connectionId);
  const now = deps.clock.now();
  const id = newId("run");
  try {
    await deps.db.db.insert(syncRuns).values({
      id,
      tenantId: run.tenantId,
      connectionId: run.connectionId,
      trigger: run.trigger,
      triggeredBy: run.triggeredBy,
      outcome: "running",
      counts: emptyCounts(),
      deletionLimitLifted: run.deletionLimitLifted ?? false,
      slot: run.slot ?? null,
      leaseOwner: deps.instanceId ?? "local",
      leaseExpiresAt: new Date(now.getTime() + (deps.leaseMs ?? LEASE_MS)),
      startedAt: now,
    });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    throw new DomainError(
      "sync_in_progress",
      "A synchronization of this connection is already running.",
    );
  }
  return id;
}

export async function renewLease(deps: CoreDeps, runId: string): Promise<void> {
  await deps.db.db
    .update(syncRuns)
    .set({ leaseExpiresAt: new Date(deps.clock.now().getTime() + (deps.leaseMs ?? LEASE_MS)) })
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.outcome, "running")));
}

/** Marks running runs whose lease lapsed as failed (their process stopped). */
export async function failLapsedRuns(deps: CoreDeps, connectionId?: string): Promise<number> {
  const now = deps.clock.now();
  const lapsed = and(
    eq(syncRuns.outcome, "running"),
    lt(syncRuns.leaseExpiresAt, now),
    connectionId ? eq(syncRuns.connectionId, connectionId) : undefined,
  );
  const result = await deps.db.db
    .update(syncRuns)
    .set({
      outcome: "failed",
      error: "The process running this synchronization stopped before it finished.",
      finishedAt: now,
      leaseOwner: null,
    })
    .where(lapsed)
    .returning({ id: syncRuns.id });
  return result.length;
}
