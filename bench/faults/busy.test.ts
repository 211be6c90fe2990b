import { afterAll, describe, expect, test } from "bun:test";
import { spawnSim } from "../sim-process.ts";
import { client, spawnApi, tempDatabase, until } from "./support.ts";

const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("a busy database", () => {
  // Before: SQLITE_BUSY in a run's final update became an unhandled rejection and the process
  // exited within a second. Now: every connection waits for the lock, busy writes are retried,
  // at most ROSTER_MAX_CONCURRENT_RUNS (2) run at once and the rest wait in order.
  test("5 simultaneous Sync now on 5 connections of one database: the process stays up, every run ends", async () => {
    const sim = await spawnSim(Number(process.env.BUSY_USERS ?? 10_000), 91);
    cleanups.push(() => sim.stop());
    const env = {
      DATABASE_URL: await tempDatabase(),
      ROSTER_SECRET_KEY: Buffer.alloc(32, 8).toString("base64"),
      ROSTER_ADMIN_EMAIL: "admin@faults.test",
      ROSTER_ADMIN_PASSWORD: "faults-password-1",
      AZURE_AUTHORITY_HOST: sim.url,
      GRAPH_BASE_URL: sim.url,
      ROSTER_SCHEDULER: "off",
    };
    const api = await spawnApi(env);
    cleanups.push(() => void api.child.kill());
    const admin = client(api.url);
    await admin.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    const ids: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      const created = await admin.call("POST", "/api/user-sync/connections", {
        type: "entra-id",
        name: `Directory ${index + 1}`,
        settings: {
          applicationId: sim.clientId,
          directoryId: sim.tenantId,
          aliasTemplate: `%userPrincipalName%-${index}`,
        },
        secret: sim.secret,
      });
      expect(created.status).toBe(201);
      expect(
        (await admin.call("POST", `/api/user-sync/connections/${created.json.id}/connect`)).status,
      ).toBe(200);
      ids.push(created.json.id);
    }

    const started = await Promise.all(
      ids.map((id) => admin.call("POST", `/api/user-sync/connections/${id}/sync`)),
    );
    expect(started.map((response) => response.status)).toEqual([202, 202, 202, 202, 202]);
    const runIds = started.map((response) => response.json.run.id as string);

    const finished = await until(
      async () => {
        expect(api.child.exitCode).toBeNull();
        const runs = await Promise.all(
          runIds.map(async (id) => (await admin.call("GET", `/api/user-sync/runs/${id}`)).json),
        );
        return runs.every((run) => run.outcome !== "running") ? runs : null;
      },
      180_000,
      "all five runs to end",
    );
    expect(api.child.exitCode).toBeNull();
    expect((await admin.call("GET", "/api/me")).status).toBe(200);
    for (const run of finished) {
      expect(run.error ?? "").not.toMatch(/locked|busy/i);
      expect(["completed", "completed_with_errors"]).toContain(run.outcome);
    }
  }, 240_000);
});
