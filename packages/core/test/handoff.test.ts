import { describe, expect, test } from "bun:test";
import { toyConnector, toyUser } from "@roster/connector-kit/testing";
import { syncRuns } from "@roster/db";
import { eq } from "drizzle-orm";
import {
  type CoreDeps,
  connectConnection,
  createConnection,
  getRun,
  RunTracker,
  scheduledTick,
  setAutoSync,
  startSyncWorker,
  takeHandedOffRun,
  triggerSync,
} from "../src/index.ts";
import { seedTenant, testDeps } from "./support.ts";

/** An edge instance (claims only) and two sync workers on one database. */
async function setup() {
  const users = Array.from({ length: 30 }, (_, i) => toyUser(`u${i}`));
  const env = await testDeps([toyConnector({ users, groups: [], pageSize: 10 })]);
  const tenant = await seedTenant(env.deps);
  const edge: CoreDeps = { ...env.deps, handOffRuns: true, tracker: undefined, instanceId: "edge" };
  const edgeCtx = { ...tenant.ctx, ...edge };
  const connection = await createConnection(edgeCtx, { type: "toy", settings: {}, secret: "s" });
  await connectConnection(edgeCtx, connection.id);
  const worker = (name: string): CoreDeps => ({
    ...env.deps,
    instanceId: name,
    tracker: new RunTracker(),
  });
  return { ...env, ...tenant, edge, edgeCtx, connection, worker };
}

describe("runs handed off to a sync worker", () => {
  test("Sync now at the edge only claims the run; one of two workers takes it", async () => {
    const env = await setup();
    const view = await triggerSync(env.edgeCtx, env.connection.id);
    expect(view.outcome).toBe("running");
    await Bun.sleep(50);
    // Nothing executed it: no user was created, the run waits under the hand-off owner.
    const [waiting] = await env.deps.db.db.select().from(syncRuns).where(eq(syncRuns.id, view.id));
    expect(waiting?.leaseOwner).toStartWith("handoff/");
    expect((await getRun(env.ctx, view.id)).counts.created).toBe(0);
    // A second Sync now meanwhile is refused like any running run.
    await expect(triggerSync(env.edgeCtx, env.connection.id)).rejects.toMatchObject({
      code: "sync_in_progress",
    });
    const [a, b] = await Promise.all([
      takeHandedOffRun(env.worker("a")),
      takeHandedOffRun(env.worker("b")),
    ]);
    expect([a, b].filter(Boolean)).toEqual([view.id]);
    expect(await takeHandedOffRun(env.worker("c"))).toBeNull();
  });

  test("the sync worker executes a handed-off run to its end", async () => {
    const env = await setup();
    const deps = env.worker("worker");
    const worker = startSyncWorker(deps, { pollMs: 20 });
    try {
      const view = await triggerSync(env.edgeCtx, env.connection.id);
      for (let i = 0; i < 200 && (await getRun(env.ctx, view.id)).outcome === "running"; i++) {
        await Bun.sleep(25);
      }
      const run = await getRun(env.ctx, view.id);
      expect(run.outcome).toBe("succeeded");
      expect(run.counts.created).toBe(30);
    } finally {
      await worker.stop();
    }
  });

  test("the Cron Trigger's tick claims a due automatic run for the worker, once", async () => {
    const env = await setup();
    await setAutoSync(env.edgeCtx, env.connection.id, true);
    env.clock.advance(24 * 3600 * 1000 + 1000);
    await Promise.all([scheduledTick(env.edge), scheduledTick(env.edge)]);
    const runs = await env.deps.db.db
      .select()
      .from(syncRuns)
      .where(eq(syncRuns.connectionId, env.connection.id));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ trigger: "automatic", outcome: "running" });
    expect(runs[0]?.leaseOwner).toStartWith("handoff/");
  });
});
