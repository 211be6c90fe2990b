import { randomUUID } from "node:crypto";
import { isUniqueViolation, newId, type RunTrigger, syncRuns } from "@roster/db";
import { and, eq, lt } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";
import {
  DEFAULT_LEASE_MS,
  leaseExpiry,
  leaseMsOf,
  type RunLease,
  renewal,
  TAKEN_OVER,
} from "../sync/store/index.ts";
import { emptyCounts } from "../sync/tally.ts";

/** The lease owner of a claimed run that waits for a sync worker (`handOffRuns`). */
export const HANDED_OFF = "handoff";

/** How long a run stays claimed without a renewal before another process may take over. */
export const LEASE_MS = DEFAULT_LEASE_MS;

export type NewRun = {
  tenantId: string;
  connectionId: string;
  trigger: RunTrigger;
  triggeredBy: string | null;
  /** The scheduled slot an automatic run serves (one run per slot across instances). */
  slot?: Date | null;
  deletionLimitLifted?: boolean;
  /** Users an administrator confirmed the directory may take over in this run. */
  confirmedUserIds?: string[];
  /** `full` reads everything; by default a run reads only the changes when it can. */
  mode?: "full" | "incremental";
};

/**
 * Claims a run: inserts it as `running` with a lease under a fresh token. The database
 * refuses a second running run of a connection (unique partial index), across processes; a
 * run whose lease lapsed (its process died or stalled) is marked failed first so that the
 * next can start.
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
      progress: startingProgress(now),
      deletionLimitLifted: run.deletionLimitLifted ?? false,
      confirmedUserIds: run.confirmedUserIds ?? [],
      // What was asked; the run records what it did read when it finishes.
      mode: run.mode ?? "incremental",
      fullReason: run.mode === "full" ? "requested" : null,
      slot: run.slot ?? null,
      // The token every write of the run is conditional on (sync/store/lease.ts).
      // A handed-off run is marked as such until a sync worker takes it (runs/handoff.ts).
      leaseOwner: `${deps.handOffRuns ? HANDED_OFF : (deps.instanceId ?? "local")}/${randomUUID()}`,
      leaseExpiresAt: new Date(leaseExpiry(deps)),
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

/** Progress before the first page: the card shows the run as starting, not as zeros. */
export const startingProgress = (now: Date) => ({
  phase: "starting" as const,
  pagesRead: 0,
  usersRead: 0,
  counts: emptyCounts(),
  at: now.getTime(),
});

/** Renews a run's lease; false when the run no longer holds it (it was reaped). */
export async function renewLease(deps: CoreDeps, lease: RunLease): Promise<boolean> {
  const result = await deps.db.client.execute(renewal(lease, leaseExpiry(deps)));
  return result.rowsAffected === 1;
}

/** Renews the lease of a run that waits for its turn in this process (it holds it since its claim). */
export async function renewQueuedLease(deps: CoreDeps, runId: string): Promise<void> {
  await deps.db.db
    .update(syncRuns)
    .set({ leaseExpiresAt: new Date(leaseExpiry(deps)) })
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.outcome, "running")));
}

/**
 * Keeps a run's lease on a timer, a third of the lease apart, whatever the run is doing: a
 * slow write or a slow directory must not get a live run reaped. Calls `lost` once if the
 * run no longer holds it.
 */
export function holdLease(deps: CoreDeps, lease: RunLease, lost: () => void): { stop(): void } {
  let stopped = false;
  const timer = setInterval(async () => {
    const held = await renewLease(deps, lease).catch((error: unknown) => {
      // A busy or failing database: try again next tick; the lease still has two thirds left.
      deps.log.warn("lease renewal failed", { runId: lease.runId, error: String(error) });
      return true;
    });
    if (!held && !stopped) {
      stopped = true;
      clearInterval(timer);
      lost();
    }
  }, leaseMsOf(deps) / 3);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}

/** Marks running runs whose lease lapsed as failed: their process stopped or stalled. */
export async function failLapsedRuns(deps: CoreDeps, connectionId?: string): Promise<number> {
  const now = deps.clock.now();
  const lapsed = and(
    eq(syncRuns.outcome, "running"),
    lt(syncRuns.leaseExpiresAt, now),
    connectionId ? eq(syncRuns.connectionId, connectionId) : undefined,
  );
  const result = await deps.db.db
    .update(syncRuns)
    .set({ outcome: "failed", error: TAKEN_OVER, finishedAt: now, leaseOwner: null })
    .where(lapsed)
    .returning({ id: syncRuns.id });
  return result.length;
}
