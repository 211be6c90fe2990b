import { readConfig } from "./config.ts";
import { startService } from "./server.ts";

const service = await startService(readConfig());
console.log(`Roster is listening on ${service.url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    void service.stop().then(() => process.exit(0));
  });
}
