import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { googleWorkspace } from "@roster/connector-google";
import { syncRuns, users } from "@roster/db";
import {
  type GeneratedWorkspace,
  type GoogleSim,
  generateWorkspace,
  SimGoogle,
  type SimWorkspace,
  startGoogleSim,
} from "@roster/google-sim";
import { eq } from "drizzle-orm";
import {
  claimRun,
  connectConnection,
  createConnection,
  createDirectorySignIn,
  executeRun,
  getRun,
  setAutoSync,
  startDueRuns,
} from "../src/index.ts";
import { seedTenant, testDeps } from "./support.ts";

// The engine knows nothing of Google: the same run, through the connector interface.
const USERS = 120;
let sim: GoogleSim;
let ws: GeneratedWorkspace;
let model: SimWorkspace;

beforeAll(async () => {
  const google = new SimGoogle();
  ws = generateWorkspace(google, { users: USERS, seed: 12 });
  model = google.workspaces.get(ws.customerId) as SimWorkspace;
  sim = await startGoogleSim({ google });
});
afterAll(() => sim.stop());

async function setup(settings: Record<string, unknown>) {
  const connector = googleWorkspace({
    tokenUrl: sim.tokenUrl,
    directoryUrl: sim.directoryUrl,
    issuerUrl: sim.issuerUrl,
  });
  const env = await testDeps([connector]);
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, {
    type: "google",
    settings: { adminEmail: ws.adminEmail, ...settings },
    secret: JSON.stringify(ws.serviceAccountKey),
  });
  await connectConnection(tenant.ctx, connection.id);
  const run = async () => {
    const runId = await claimRun(env.deps, {
      tenantId: tenant.tenantId,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: tenant.adminId,
    });
    await executeRun(env.deps, runId);
    return getRun(tenant.ctx, runId);
  };
  const byExternal = async (id: string) =>
    (await env.deps.db.db.select().from(users).where(eq(users.externalId, id)))[0];
  return { ...env, ...tenant, connection, run, byExternal };
}

describe("a sync against the Google Workspace simulator", () => {
  test("creates the active users, signs them in with Google, and skips suspended and archived ones", async () => {
    const { run, byExternal } = await setup({});
    const result = await run();
    const active = [...model.users.values()].filter((user) => !user.suspended && !user.archived);
    // The user without names fails (missing_names), like Entra's.
    expect(result.counts).toMatchObject({ created: active.length - 1, skipped: 2, failed: 1 });
    expect(await byExternal(ws.edgeCases.suspended)).toBeUndefined();
    expect(await byExternal(ws.edgeCases.withAliasAndCustomFields)).toMatchObject({
      signIn: "google",
      email: `jo.extras@${ws.domain}`,
      firstName: "Jo",
    });
  });

  test("a user suspended in Google is deleted when deletion is managed", async () => {
    const { run, byExternal } = await setup({ manageUserDeletion: true });
    await run();
    const target = [...model.users.values()].find(
      (user) => !user.isAdmin && !user.suspended && !user.archived && user.name?.givenName,
    );
    if (!target) throw new Error("no user to suspend");
    expect((await byExternal(target.id))?.deletedAt).toBeNull();
    model.upsertUser({ ...target, suspended: true });
    try {
      const second = await run();
      expect(second.counts).toMatchObject({ deleted: 1, created: 0 });
      expect((await byExternal(target.id))?.deletedAt).not.toBeNull();
    } finally {
      model.upsertUser({ ...target, suspended: false });
    }
  });

  test("org-unit scoping: users outside the selected unit are not created", async () => {
    const { run, byExternal } = await setup({ users: "orgUnits", orgUnits: ["/Engineering"] });
    await run();
    const outside = [...model.users.values()].find((user) => user.orgUnitPath === "/Sales");
    const inside = [...model.users.values()].find(
      (user) => user.orgUnitPath === "/Engineering/Platform" && !user.suspended,
    );
    expect(await byExternal(outside?.id ?? "")).toBeUndefined();
    expect(await byExternal(inside?.id ?? "")).toBeDefined();
  });

  test("automatic sync: a Google connection's slot runs every 24 hours through the scheduler and picks up changes", async () => {
    const env = await setup({});
    env.clock.set("2026-03-01T10:15:00Z");
    const on = await setAutoSync(env.ctx, env.connection.id, true);
    expect(on.autoSync.nextRunAt).toBe("2026-03-02T10:15:00.000Z");
    const tick = async () => {
      const started = await startDueRuns(env.deps);
      await env.deps.tracker?.idle();
      return started;
    };
    env.clock.set("2026-03-02T10:14:00Z");
    expect(await tick()).toEqual([]);
    env.clock.set("2026-03-02T10:15:30Z");
    const [first] = await tick();
    const active = [...model.users.values()].filter((user) => !user.suspended && !user.archived);
    expect(await getRun(env.ctx, first as string)).toMatchObject({
      trigger: "automatic",
      outcome: "completed_with_errors", // the user without names, as in a manual run
      counts: { created: active.length - 1, failed: 1 },
    });
    // A newcomer in Google is created by the next slot, not before.
    const id = "188888888888888888888";
    model.upsertUser({
      id,
      primaryEmail: `newcomer@${ws.domain}`,
      name: { givenName: "New", familyName: "Comer", fullName: "New Comer" },
      isAdmin: false,
      suspended: false,
      archived: false,
      orgUnitPath: "/",
      creationTime: new Date().toISOString(),
    });
    try {
      env.clock.set("2026-03-03T10:00:00Z");
      expect(await tick()).toEqual([]);
      env.clock.set("2026-03-03T10:15:00Z");
      const [second] = await tick();
      expect(await getRun(env.ctx, second as string)).toMatchObject({
        trigger: "automatic",
        counts: { created: 1 },
      });
      expect(await env.byExternal(id)).toMatchObject({ signIn: "google" });
      const runs = await env.deps.db.db
        .select()
        .from(syncRuns)
        .where(eq(syncRuns.connectionId, env.connection.id));
      expect(runs.map((run) => run.slot?.toISOString())).toEqual([
        "2026-03-02T10:15:00.000Z",
        "2026-03-03T10:15:00.000Z",
      ]);
    } finally {
      model.deleteUser(id);
    }
  });
});

test("a provider's authorizationParams reach Google's authorize URL, but never the flow's own", async () => {
  const connector = googleWorkspace({
    tokenUrl: sim.tokenUrl,
    directoryUrl: sim.directoryUrl,
    issuerUrl: sim.issuerUrl,
  });
  const provider = connector.signInProvider;
  if (!provider) throw new Error("no sign-in provider");
  // A provider that tries to set what the flow owns, beside its own hd and a prompt.
  const greedy = {
    ...connector,
    signInProvider: {
      ...provider,
      authorizationParams: (settings: never) => ({
        ...provider.authorizationParams?.(settings),
        prompt: "select_account",
        client_id: "someone-else.apps.googleusercontent.com",
        state: "fixed",
        nonce: "fixed",
        redirect_uri: "https://evil.example/callback",
        scope: "openid https://www.googleapis.com/auth/drive",
      }),
    },
  };
  const env = await testDeps([greedy]);
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, {
    type: "google",
    settings: { adminEmail: ws.adminEmail, signInClientId: ws.oauthClient.clientId },
    secret: JSON.stringify({
      serviceAccountKey: ws.serviceAccountKey,
      signInClientSecret: ws.oauthClient.clientSecret,
    }),
  });
  await connectConnection(tenant.ctx, connection.id);
  const signIn = createDirectorySignIn({
    redirectUriOf: (id) => `https://roster.test/api/auth/sso/${id}/callback`,
  });
  const started = await signIn.start(env.deps, {
    tenant: "acme",
    provider: "google",
    returnTo: "/",
  });
  if (!started.ok) throw new Error(started.message);
  const params = Object.fromEntries(new URL(started.url).searchParams);
  expect(params).toMatchObject({
    hd: ws.domain,
    prompt: "select_account",
    client_id: ws.oauthClient.clientId,
    redirect_uri: "https://roster.test/api/auth/sso/google/callback",
    scope: "openid profile email",
  });
  expect(params.state).not.toBe("fixed");
  expect(params.nonce).not.toBe("fixed");
});
