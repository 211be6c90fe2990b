import { describe, expect, test } from "bun:test";
import { toyConnector, toyUser } from "@roster/connector-kit/testing";
import { connections, notifications, outbox, syncRuns } from "@roster/db";
import { eq } from "drizzle-orm";
import {
  checkExpiringSecrets,
  connectConnection,
  createConnection,
  deleteConnection,
  setAutoSync,
  startDueRuns,
  updateConnection,
} from "../src/index.ts";
import { seedTenant, testDeps } from "./support.ts";

const HOUR = 3600 * 1000;

async function setup() {
  const env = await testDeps([toyConnector({ users: [toyUser("a"), toyUser("b")], groups: [] })]);
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, { type: "toy", settings: {}, secret: "s" });
  await connectConnection(tenant.ctx, connection.id);
  const runs = () =>
    env.deps.db.db.select().from(syncRuns).where(eq(syncRuns.connectionId, connection.id));
  const tick = async () => {
    const started = await startDueRuns(env.deps);
    await env.deps.tracker?.idle();
    return started;
  };
  return { ...env, ...tenant, connection, runs, tick };
}

describe("automatic synchronization", () => {
  test("runs every 24 hours counted from activation, not at midnight", async () => {
    const env = await setup();
    env.clock.set("2026-03-01T15:37:00Z");
    const on = await setAutoSync(env.ctx, env.connection.id, true);
    expect(on.autoSync.nextRunAt).toBe("2026-03-02T15:37:00.000Z");
    env.clock.set("2026-03-02T15:36:00Z");
    expect(await env.tick()).toHaveLength(0);
    env.clock.set("2026-03-02T15:37:30Z");
    expect(await env.tick()).toHaveLength(1);
    const [run] = await env.runs();
    expect(run).toMatchObject({ trigger: "automatic", outcome: "succeeded" });
    expect(run?.slot?.toISOString()).toBe("2026-03-02T15:37:00.000Z");
    const [row] = await env.deps.db.db
      .select()
      .from(connections)
      .where(eq(connections.id, env.connection.id));
    expect(row?.autoSyncNextRunAt?.toISOString()).toBe("2026-03-03T15:37:00.000Z");
  });

  test("slots missed while the service was down run once, then the grid continues", async () => {
    const env = await setup();
    env.clock.set("2026-03-01T08:00:00Z");
    await setAutoSync(env.ctx, env.connection.id, true);
    env.clock.set("2026-03-04T10:00:00Z"); // three slots missed
    expect(await env.tick()).toHaveLength(1);
    expect(await env.tick()).toHaveLength(0);
    const [row] = await env.deps.db.db
      .select()
      .from(connections)
      .where(eq(connections.id, env.connection.id));
    expect(row?.autoSyncNextRunAt?.toISOString()).toBe("2026-03-05T08:00:00.000Z");
  });

  test("the schedule lives in the database: a restarted instance picks it up", async () => {
    const env = await setup();
    await setAutoSync(env.ctx, env.connection.id, true);
    env.clock.advance(25 * HOUR);
    const restarted = { ...env.deps, tracker: env.deps.tracker, instanceId: "after-restart" };
    expect(await startDueRuns(restarted)).toHaveLength(1);
  });

  test("switching off or deleting the connection disarms it", async () => {
    const env = await setup();
    await setAutoSync(env.ctx, env.connection.id, true);
    await setAutoSync(env.ctx, env.connection.id, false);
    env.clock.advance(25 * HOUR);
    expect(await env.tick()).toHaveLength(0);
    await setAutoSync(env.ctx, env.connection.id, true);
    await deleteConnection(env.ctx, env.connection.id);
    env.clock.advance(25 * HOUR);
    expect(await env.tick()).toHaveLength(0);
  });

  test("two processes ticking on one database file run a slot once", async () => {
    const env = await setup();
    env.clock.set("2026-03-01T09:00:00Z");
    await setAutoSync(env.ctx, env.connection.id, true);
    const file = (await env.deps.db.client.execute("pragma database_list")).rows[0]?.file as string;
    const tick = (instance: string) =>
      Bun.spawn(
        ["bun", `${import.meta.dir}/fixtures/tick.ts`, file, "2026-03-02T09:00:05Z", instance],
        { stdout: "pipe" },
      );
    const processes = [tick("one"), tick("two"), tick("three")];
    const outputs = await Promise.all(
      processes.map(async (child) => JSON.parse(await new Response(child.stdout).text())),
    );
    expect(outputs.reduce((sum, output) => sum + output.started, 0)).toBe(1);
    expect(await env.runs()).toHaveLength(1);
  });
});

describe("secret expiry", () => {
  test("warns every administrator once a day within 7 days of expiry, by notification and email", async () => {
    const env = await setup();
    await updateConnection(env.ctx, env.connection.id, { secretExpiresAt: "2026-03-05T00:00:00Z" });
    expect(await checkExpiringSecrets(env.deps)).toBe(1);
    expect(await checkExpiringSecrets(env.deps)).toBe(0);
    env.clock.advance(24 * HOUR);
    expect(await checkExpiringSecrets(env.deps)).toBe(1);
    const notes = await env.deps.db.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, env.adminId));
    expect(notes.map((note) => note.kind)).toEqual([
      "user_sync.secret_expiring",
      "user_sync.secret_expiring",
    ]);
    const mails = await env.deps.db.db.select().from(outbox);
    expect(mails.map((mail) => mail.to)).toEqual(["admin@acme.example", "admin@acme.example"]);
  });

  test("nothing is sent more than 7 days ahead; an expired secret fails the run", async () => {
    const env = await setup();
    await updateConnection(env.ctx, env.connection.id, { secretExpiresAt: "2026-03-20T00:00:00Z" });
    expect(await checkExpiringSecrets(env.deps)).toBe(0);
    await setAutoSync(env.ctx, env.connection.id, true);
    env.clock.set("2026-03-21T10:00:00Z");
    await env.tick();
    const [run] = await env.runs();
    expect(run?.outcome).toBe("failed");
    expect(run?.error).toContain("expired");
    const notes = await env.deps.db.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, env.adminId));
    expect(notes.map((note) => note.kind)).toContain("user_sync.secret_expired");
  });
});
