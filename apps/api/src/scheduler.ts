import { type CoreDeps, checkExpiringSecrets, failLapsedRuns, startDueRuns } from "@roster/core";
import { Cron } from "croner";

/**
 * Drives automatic synchronization: every minute it starts the runs that are due, reaps
 * runs whose process died, and checks expiring secrets (each notice at most once a day).
 * The schedule itself lives in the database, so a restart re-arms it.
 */
export function startScheduler(deps: CoreDeps) {
  const tick = async () => {
    try {
      await failLapsedRuns(deps);
      await startDueRuns(deps);
      await checkExpiringSecrets(deps);
    } catch (error) {
      deps.log.error("scheduler tick failed", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  };
  // protect: a slow tick is never overlapped by the next one.
  const job = new Cron("* * * * *", { protect: true, name: "roster-scheduler" }, tick);
  const first = tick(); // catch up at once after a start
  return {
    tick,
    async stop() {
      job.stop();
      await first;
    },
  };
}
