import { type CoreDeps, type EmailDispatcher, scheduledTick } from "@roster/core";
import { Cron } from "croner";

/**
 * Drives automatic synchronization: every minute it starts the runs that are due, reaps
 * runs whose process died, and checks expiring secrets (each notice at most once a day).
 * The schedule itself lives in the database, so a restart re-arms it. It stops `dispatcher`,
 * the outbox's delivery (deps.ts `startDispatcher`; none without a Resend key), with itself.
 */
export function startScheduler(deps: CoreDeps, dispatcher: EmailDispatcher | null) {
  const tick = async () => {
    try {
      // The same function a Cron Trigger calls at the edge (apps/api/src/worker.ts).
      await scheduledTick(deps);
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
      await dispatcher?.stop();
    },
  };
}
