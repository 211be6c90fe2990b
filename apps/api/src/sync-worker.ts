// `bun run sync-worker`: executes the runs an edge deploy (apps/api/src/worker.ts) claimed and
// handed off — Sync now and the Cron Trigger's automatic runs — polling the database for them.
// With Resend configured it also delivers the outbox. Same environment as `bun run start`.
import { startSyncWorker } from "@roster/core";
import { readConfig } from "./config.ts";
import { createDeps, startDispatcher } from "./deps.ts";

const config = readConfig();
const deps = await createDeps(config);
deps.instanceId = `sync-worker-${process.pid}`;
const dispatcher = startDispatcher(config, deps);
const worker = startSyncWorker(deps, {
  pollMs: Number(process.env.ROSTER_SYNC_WORKER_POLL_MS ?? 1000),
});
console.log("Roster sync worker is polling for handed-off runs");
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void (async () => {
      await worker.stop();
      await dispatcher?.stop();
      deps.db.close();
      process.exit(0);
    })();
  });
}
