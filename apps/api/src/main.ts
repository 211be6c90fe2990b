import { createLogger } from "@roster/core";
import { readConfig } from "./config.ts";
import { startService } from "./server.ts";

const config = readConfig();
// Last line of defence: a background task that fails unexpectedly is logged and the service
// keeps serving every other tenant. Each known task catches its own errors; these catch the rest.
const crashLog = createLogger({ level: config.ROSTER_LOG_LEVEL }).child({ source: "process" });
process.on("unhandledRejection", (reason) => {
  crashLog.error("unhandled rejection", { error: describeError(reason) });
});
process.on("uncaughtException", (error) => {
  crashLog.error("uncaught exception", { error: describeError(error) });
});

const service = await startService(config);
console.log(`Roster is listening on ${service.url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    service
      .stop()
      .catch((error: unknown) => crashLog.error("stop failed", { error: describeError(error) }))
      .finally(() => process.exit(0));
  });
}

function describeError(error: unknown) {
  return error instanceof Error ? { message: error.message, stack: error.stack } : String(error);
}
