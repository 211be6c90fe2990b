/**
 * `bun run demo`: the Entra ID and Google Workspace simulators with generated directories,
 * and the service on a fresh embedded database with two tenants — `demo` with an Entra
 * connection, `demo-google` with a Google Workspace connection — each with an
 * administrator, pointing at the simulators. Sign in, press Connect, then Sync now.
 */
import { rmSync } from "node:fs";
import { createConnection, createTenant } from "@roster/core";
import { generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";
import { generateWorkspace, SimGoogle, startGoogleSim } from "@roster/google-sim";
import { readConfig } from "./config.ts";
import { startService } from "./server.ts";

const DEMO_DB = "./data/demo.db";
const USERS = Number(process.env.DEMO_USERS ?? 3000);
const admin = { email: "admin@demo.test", password: "demo-password-123" };
const operatorToken = `demo-operator-${crypto.randomUUID()}`;
// The simulators' control routes (`/_sim/*`, header `x-sim-control`): make the directory slow
// or failing on purpose, to watch progress, Cancel and the errors in the UI.
const controlToken = `demo-sim-${crypto.randomUUID()}`;

if (!process.env.NODE_EXTRA_CA_CERTS) {
  console.error("Run the demo with `bun run demo`: it trusts the simulator's certificate first.");
  process.exit(1);
}

for (const suffix of ["", "-wal", "-shm"]) rmSync(`${DEMO_DB}${suffix}`, { force: true });

const directory = new SimDirectory();
const entra = generateTenant(directory, {
  users: USERS,
  seed: 2026,
  displayName: "Contoso (simulated)",
});
const sim = await startEntraSim({
  directory,
  port: Number(process.env.DEMO_SIM_PORT ?? 0),
  controlToken,
});
// The Google simulator shares the Entra simulator's certificate, so one NODE_EXTRA_CA_CERTS trusts both.
const google = new SimGoogle();
const workspace = generateWorkspace(google, { users: USERS, seed: 2026, domain: "fabrikam.test" });
const googleSim = await startGoogleSim({
  google,
  port: Number(process.env.DEMO_GOOGLE_SIM_PORT ?? 0),
  controlToken,
});

const config = readConfig({
  ...process.env,
  DATABASE_URL: `file:${DEMO_DB}`,
  AZURE_AUTHORITY_HOST: sim.url,
  GRAPH_BASE_URL: sim.url,
  GOOGLE_TOKEN_URL: googleSim.tokenUrl,
  GOOGLE_DIRECTORY_URL: googleSim.directoryUrl,
  GOOGLE_ISSUER_URL: googleSim.issuerUrl,
  ROSTER_OPERATOR_TOKEN: operatorToken,
});
// The app registration lists Roster's redirect URI, as the admin is told to add it.
const app = directory.find(entra.tenantId)?.apps.get(entra.clientId);
if (app) {
  app.redirectUris = [
    { uri: `${config.publicUrl}/api/auth/sso/microsoft/callback`, platform: "web" },
  ];
}
const service = await startService(config);
const { tenant, admin: adminUser } = await createTenant(service.deps, {
  slug: "demo",
  name: "Demo Company",
  admin: { ...admin, firstName: "Dana", lastName: "Admin" },
});
await createConnection(
  { ...service.deps, tenantId: tenant.id, actor: { kind: "user", userId: adminUser.id } },
  {
    type: "entra-id",
    name: "Contoso (simulated Entra ID)",
    settings: {
      applicationId: entra.clientId,
      directoryId: entra.tenantId,
      groups: { mode: "selected", ids: [entra.groups.nestedRoot] },
      users: "all",
      aliasTemplate: "%onPremisesSamAccountName%;%givenName%.%surname%",
      sendPinEmails: true,
      manageExistingUsers: true,
      allowDisplayName: true,
      aliasesWithoutInvalidCharacters: true,
      manageUserDeletion: true,
    },
    secret: entra.secret,
    secretExpiresAt: new Date(Date.now() + 5 * 24 * 3600 * 1000).toISOString(),
  },
);

const googleTenant = await createTenant(service.deps, {
  slug: "demo-google",
  name: "Fabrikam (Google Workspace)",
  admin: { ...admin, firstName: "Dana", lastName: "Admin" },
});
// Sign in with Google comes back to the service's own callback.
google.workspaces
  .get(workspace.customerId)
  ?.oauthClients.get(workspace.oauthClient.clientId)
  ?.redirectUris.push(`${config.publicUrl}/api/auth/sso/google/callback`);
await createConnection(
  {
    ...service.deps,
    tenantId: googleTenant.tenant.id,
    actor: { kind: "user", userId: googleTenant.admin.id },
  },
  {
    type: "google",
    name: "Fabrikam (simulated Google Workspace)",
    settings: {
      adminEmail: workspace.adminEmail,
      users: "all",
      groups: [workspace.groupEmails.nestedRoot],
      signInClientId: workspace.oauthClient.clientId,
      aliasTemplate: "%name.givenName%.%name.familyName%;%externalIds%",
      sendPinEmails: true,
      manageExistingUsers: true,
      allowDisplayName: true,
      manageUserDeletion: true,
    },
    secret: JSON.stringify({
      serviceAccountKey: workspace.serviceAccountKey,
      signInClientSecret: workspace.oauthClient.clientSecret,
    }),
  },
);
// Who can sign in with Microsoft once synced: enabled directory users with an address.
const simTenant = directory.find(entra.tenantId);
const signInUsers = (simTenant?.sortedUsers() ?? [])
  .filter((user) => user.accountEnabled && user.mail && user.userType === "Member")
  .slice(0, 3)
  .map((user) => user.userPrincipalName);
const disabledUpn = simTenant?.getUser(entra.edgeCases.disabled)?.userPrincipalName;
// Who can sign in with Google once synced: active Workspace users with names.
const googleUsers = (google.workspaces.get(workspace.customerId)?.sortedUsers() ?? [])
  .filter((user) => !user.suspended && !user.archived && user.name?.givenName)
  .slice(0, 3)
  .map((user) => user.primaryEmail);

console.log(`
  Roster demo is running.

  Admin UI      ${service.url}/
  API docs      ${service.url}/api/docs
  Sign in       tenant "demo" (Entra ID) or "demo-google" (Google Workspace), ${admin.email} / ${admin.password}

  Entra ID      simulated at ${sim.url} with ${USERS + 10} users and nested groups
  Google        simulated at ${googleSim.url} with ${workspace.userIds.length} users, org units, nested groups
  Outbox        curl -H "Authorization: Bearer ${operatorToken}" ${service.url}/api/outbox

  Microsoft     after Connect → Sync now, synced users sign in with "Sign in with Microsoft"
                (tenant "demo") and pick their account on the simulated Microsoft page:
                ${signInUsers.join(", ")}, …
                Refused by Entra (disabled): ${disabledUpn}
                Redirect URI: ${config.publicUrl}/api/auth/sso/microsoft/callback

  Google        after Connect → Sync now (tenant "demo-google"), synced users sign in with
                "Sign in with Google" and pick their account on the simulated chooser:
                ${googleUsers.join(", ")}, …
                Redirect URI: ${config.publicUrl}/api/auth/sso/google/callback
  Simulator    control token ${controlToken} (header x-sim-control on /_sim/*), e.g.
                a slow directory (2 s a request; watch progress, then Cancel):
                  curl -k -X PUT -H "x-sim-control: ${controlToken}" -H "content-type: application/json" \\
                    -d '{"latencyMs":2000}' ${sim.url}/_sim/faults
                a directory failing from page 2: -d '{"failFromPage":2}'; back to normal: -d '{}'
                Google: the same on ${googleSim.url}/_sim/faults

  In the UI: User synchronization → Connect → Sync now. Ctrl-C stops everything.
`);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    service
      .stop()
      .then(() => sim.stop())
      .then(() => googleSim.stop())
      .catch((error: unknown) => console.error("stopping the demo failed:", error))
      .finally(() => process.exit(0));
  });
}
