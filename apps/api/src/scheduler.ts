import {
  type CoreDeps,
  type EmailDispatcher,
  scheduledTick,
  startEmailDispatcher,
} from "@roster/core";
import { Cron } from "croner";

/**
 * Drives automatic synchronization: every minute it starts the runs that are due, reaps
 * runs whose process died, and checks expiring secrets (each notice at most once a day).
 * The schedule itself lives in the database, so a restart re-arms it. With Resend configured it
 * also runs the outbox dispatcher, which delivers every email (without a key the outbox is
 * the delivery, read by the operator).
 */
export function startScheduler(deps: CoreDeps, options: { emailRate?: number } = {}) {
  const dispatcher: EmailDispatcher | null =
    deps.email?.kind === "resend"
      ? startEmailDispatcher(deps, { ratePerSecond: options.emailRate })
      : null;
  if (dispatcher) deps.emailDispatcher = dispatcher;
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
