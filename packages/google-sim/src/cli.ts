/**
 * `bun run google-sim -- --users 1000 --port 8444`: the simulator on its own. With `--json`
 * it prints one line of JSON (urls, key, admin, control token) for scripts that spawn it.
 */
import { parseArgs } from "node:util";
import { generateWorkspace } from "./generate.ts";
import { SimGoogle } from "./model.ts";
import { startGoogleSim } from "./server.ts";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    port: { type: "string", default: "8444" },
    seed: { type: "string", default: "1" },
    redirect: { type: "string", multiple: true, default: [] },
    json: { type: "boolean", default: false },
  },
});
const google = new SimGoogle();
const workspace = generateWorkspace(google, {
  users: Number(values.users),
  seed: Number(values.seed),
  redirectUris: values.redirect,
});
const controlToken = crypto.randomUUID();
const sim = await startGoogleSim({ google, port: Number(values.port), controlToken });
const urls = { tokenUrl: sim.tokenUrl, directoryUrl: sim.directoryUrl, issuerUrl: sim.issuerUrl };
if (values.json) {
  console.log(
    JSON.stringify({ url: sim.url, ...urls, certPath: sim.certPath, controlToken, ...workspace }),
  );
} else {
  console.log(
    `Google Workspace simulator on ${sim.url}  (trust ${sim.certPath} via NODE_EXTRA_CA_CERTS)`,
  );
  console.log(
    `  GOOGLE_TOKEN_URL=${sim.tokenUrl} GOOGLE_DIRECTORY_URL=${sim.directoryUrl} GOOGLE_ISSUER_URL=${sim.issuerUrl}`,
  );
  console.log(
    `  customer ${workspace.customerId}, domain ${workspace.domain}, admin ${workspace.adminEmail}`,
  );
  console.log(
    `  service account key: ${JSON.stringify(workspace.serviceAccountKey).length} bytes of JSON (--json prints it)`,
  );
  console.log(`  sign-in OAuth client ${workspace.oauthClient.clientId}`);
  console.log(
    `  nested groups ${workspace.groupEmails.nestedRoot} ⊃ engineering ⊃ platform ⊃ all-staff`,
  );
  console.log(`  control token ${controlToken} (header x-sim-control on /_sim/*)`);
}
