/**
 * `bun run entra-sim -- --users 1000 --port 8443`: the simulator on its own. With `--json`
 * it prints one line of JSON (url, credentials, control token) for scripts that spawn it.
 */
import { parseArgs } from "node:util";
import { generateTenant } from "./generate.ts";
import { SimDirectory } from "./model.ts";
import { startEntraSim } from "./server.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    port: { type: "string", default: "8443" },
    seed: { type: "string", default: "1" },
    json: { type: "boolean", default: false },
  },
});
const directory = new SimDirectory();
const tenant = generateTenant(directory, {
  users: Number(values.users),
  seed: Number(values.seed),
});
const controlToken = crypto.randomUUID();
const sim = await startEntraSim({ directory, port: Number(values.port), controlToken });
if (values.json) {
  console.log(JSON.stringify({ url: sim.url, certPath: sim.certPath, controlToken, ...tenant }));
} else {
  console.log(`Entra ID simulator on ${sim.url}  (trust ${sim.certPath} via NODE_EXTRA_CA_CERTS)`);
  console.log(`  directory (tenant) id   ${tenant.tenantId}`);
  console.log(`  application (client) id ${tenant.clientId}`);
  console.log(`  client secret           ${tenant.secret}`);
  console.log(
    `  nested groups           ${tenant.groups.nestedRoot} ⊃ ${tenant.groups.nestedChild} ⊃ ${tenant.groups.nestedGrandchild}`,
  );
  console.log(`  control token           ${controlToken} (header x-sim-control on /_sim/*)`);
}
