import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { googleWorkspace } from "@roster/connector-google";
import { users } from "@roster/db";
import {
  type GeneratedWorkspace,
  type GoogleSim,
  generateWorkspace,
  SimGoogle,
  type SimWorkspace,
  startGoogleSim,
} from "@roster/google-sim";
import { eq } from "drizzle-orm";
import { claimRun, connectConnection, createConnection, executeRun, getRun } from "../src/index.ts";
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
  return { ...env, ...tenant, run, byExternal };
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
});
