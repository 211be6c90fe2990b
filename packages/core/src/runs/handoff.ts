import { randomUUID } from "node:crypto";
import { syncRuns } from "@roster/db";
import { and, asc, eq, like } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import { checkExpiringSecrets, startDueRuns } from "../schedule/due.ts";
import { leaseExpiry } from "../sync/store/index.ts";
import { executeRun } from "./execute.ts";
import { failLapsedRuns, HANDED_OFF } from "./lease.ts";

/**
 * Takes one run that an edge instance claimed and handed off (`handOffRuns`): its lease
 * owner moves from `handoff/…` to this process with a compare-and-set, so of several sync
 * workers exactly one takes it. Null when none waits.
 */
export async function takeHandedOffRun(deps: CoreDeps): Promise<string | null> {
  const waiting = await deps.db.db
    .select({ id: syncRuns.id, leaseOwner: syncRuns.leaseOwner })
    .from(syncRuns)
    .where(and(eq(syncRuns.outcome, "running"), like(syncRuns.leaseOwner, `${HANDED_OFF}/%`)))
    .orderBy(asc(syncRuns.startedAt))
    .limit(10);
  for (const run of waiting) {
    const taken = await deps.db.db
      .update(syncRuns)
      .set({
        leaseOwner: `${deps.instanceId ?? "sync-worker"}/${randomUUID()}`,
        leaseExpiresAt: new Date(leaseExpiry(deps)),
      })
      .where(
        and(
          eq(syncRuns.id, run.id),
          eq(syncRuns.outcome, "running"),
          eq(syncRuns.leaseOwner, run.leaseOwner as string),
        ),
      )
      .returning({ id: syncRuns.id });
    if (taken.length === 1) return run.id;
  }
  return null;
}

/**
 * What a Cron Trigger does at the edge, and the scheduler each minute: reap runs whose
 * process died, start the due automatic runs (claimed only, with `handOffRuns`), check
 * expiring secrets. One function for both, so the schedule means the same everywhere.
 */
export async function scheduledTick(deps: CoreDeps): Promise<void> {
  await failLapsedRuns(deps);
  await startDueRuns(deps);
  await checkExpiringSecrets(deps);
}

/**
 * The sync worker: polls for handed-off runs and executes them in this process (through its
 * tracker, so at most `maxConcurrent` at once and shutdown ends them between pages).
 */
export function startSyncWorker(deps: CoreDeps, options: { pollMs?: number } = {}) {
  const pollMs = options.pollMs ?? 1000;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      for (;;) {
        if (stopped || (deps.tracker && !deps.tracker.accepting)) return;
        const runId = await takeHandedOffRun(deps);
        if (!runId) return;
        deps.log.info("sync worker took a run", { runId });
        const execution = (signal?: AbortSignal) => executeRun(deps, runId, signal);
        if (deps.tracker) void deps.tracker.start(runId, execution);
        else void execution();
      }
    } catch (error) {
      deps.log.error("sync worker poll failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  const loop = () => {
    current = poll().finally(() => {
      if (!stopped) timer = setTimeout(loop, pollMs);
    });
  };
  loop();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
      await deps.tracker?.shutdown();
    },
  };
}
