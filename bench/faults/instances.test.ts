import { afterAll, describe, expect, test } from "bun:test";
import { createDb } from "@roster/db";
import { startSqld, testDbKind } from "@roster/db/testing";
import { startFakeResend } from "@roster/email/testing";
import { spawnSim } from "../sim-process.ts";
import { client, spawnApi, until } from "./support.ts";

const USERS = Number(process.env.INSTANCES_USERS ?? 8_000);
const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// Always on sqld (several machines share a server, never a file); run by the sqld pass.
const suite = testDbKind() === "sqld" ? describe : describe.skip;

suite("three API processes on one sqld (one with the scheduler, two without)", () => {
  test("sessions valid everywhere, a due run once, a kill -9 recovered by another, emails once", async () => {
    const sqld = await startSqld();
    cleanups.push(() => sqld.stop());
    const sim = await spawnSim(USERS, 91);
    cleanups.push(() => sim.stop());
    const resend = startFakeResend({ apiKey: "re_instances", rateLimit: 50 });
    cleanups.push(() => resend.stop());
    const env = {
      DATABASE_URL: sqld.url,
      ROSTER_SECRET_KEY: Buffer.alloc(32, 12).toString("base64"),
      ROSTER_ADMIN_EMAIL: "admin@instances.test",
      ROSTER_ADMIN_PASSWORD: "instances-password-1",
      AZURE_AUTHORITY_HOST: sim.url,
      GRAPH_BASE_URL: sim.url,
      RESEND_API_KEY: "re_instances",
      RESEND_BASE_URL: resend.url,
      ROSTER_EMAIL_RATE: "50",
      ROSTER_RUN_LEASE_SECONDS: "3",
      ROSTER_SCHEDULER: "off",
    };
    const spawn = async (scheduler: "on" | "off") => {
      const instance = await spawnApi({ ...env, ROSTER_SCHEDULER: scheduler });
      cleanups.push(() => void instance.child.kill(9));
      return instance;
    };
    const [b, c] = [await spawn("off"), await spawn("off")];

    // A session issued by one instance is valid on the others.
    const atB = client(b.url);
    await atB.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    const token = (
      await (
        await fetch(`${b.url}/api/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            tenant: "default",
            email: env.ROSTER_ADMIN_EMAIL,
            password: env.ROSTER_ADMIN_PASSWORD,
          }),
        })
      ).json()
    ).token as string;
    for (const url of [b.url, c.url]) {
      const me = await fetch(`${url}/api/users`, { headers: { authorization: `Bearer ${token}` } });
      expect(me.status).toBe(200);
    }
    const connection = await atB.call("POST", "/api/user-sync/connections", {
      type: "entra-id",
      settings: {
        applicationId: sim.clientId,
        directoryId: sim.tenantId,
        sendPinEmails: true,
        manageUserDeletion: true,
      },
      secret: sim.secret,
    });
    expect(connection.status).toBe(201);
    const id = connection.json.id as string;
    const atC = client(c.url);
    await atC.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    expect((await atC.call("POST", `/api/user-sync/connections/${id}/connect`)).status).toBe(200);
    expect(
      (await atB.call("PUT", `/api/user-sync/connections/${id}/auto-sync`, { enabled: true }))
        .status,
    ).toBe(200);

    // The slot is due; the instance with the scheduler starts it on its first tick.
    const db = await createDb({ url: sqld.url });
    cleanups.push(() => db.close());
    await db.client.execute({
      sql: "update connections set auto_sync_next_run_at = ?",
      args: [Date.now() - 60_000],
    });
    const a = await spawn("on");
    const atA = client(a.url);
    await atA.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    expect(
      (await fetch(`${a.url}/api/users`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    const runs = async () =>
      (
        await db.client.execute(
          "select id, trigger, outcome, error from sync_runs order by started_at",
        )
      ).rows.map((row) => ({ ...row }) as Record<string, unknown>);
    // Kill the running instance once its run has written users and is still going.
    await until(
      async () => {
        const written = await atC.call("GET", "/api/users?tag=AD%20synced&limit=1");
        return written.json.items.length > 0;
      },
      60_000,
      "the automatic run to write its first users",
    );
    const [automatic] = await runs();
    expect(automatic).toMatchObject({ trigger: "automatic", outcome: "running" });
    a.child.kill(9);
    await a.child.exited;

    // Another instance recovers: once the dead run's lease lapses, Sync now starts and converges.
    const recovery = await until(
      async () => {
        const result = await atB.call("POST", `/api/user-sync/connections/${id}/sync`);
        return result.status === 202 ? result.json.run : null;
      },
      30_000,
      "the lease to lapse",
    );
    const finished = await until(
      async () => {
        const run = await atC.call("GET", `/api/user-sync/runs/${recovery.id}`);
        return run.json.outcome !== "running" ? run.json : null;
      },
      180_000,
      "the recovery run",
    );
    expect(["succeeded", "completed_with_errors"]).toContain(finished.outcome);
    const all = await runs();
    expect(all.map((run) => [run.trigger, run.outcome])).toEqual([
      ["automatic", "failed"],
      ["manual", finished.outcome],
    ]);
    expect(String(all[0]?.error)).toContain("stopped before it finished");

    // The scheduler instance comes back: the slot is not run again, and it delivers the rest.
    await spawn("on");
    const pending = async () =>
      Number(
        (await db.client.execute("select count(*) as n from outbox where status != 'sent'")).rows[0]
          ?.n,
      );
    await until(async () => (await pending()) === 0, 120_000, "every email delivered");
    const synced = await db.client.execute(
      "select lower(email) as email from users where connection_id is not null and deleted_at is null",
    );
    const recipients = resend.delivered.map((email) => String(email.to[0]).toLowerCase());
    // Each synced user's welcome email exactly once, across the killed and the live processes.
    expect(recipients).toHaveLength(synced.rows.length);
    expect(new Set(recipients)).toEqual(new Set(synced.rows.map((row) => String(row.email))));
    expect((await runs()).filter((run) => run.trigger === "automatic")).toHaveLength(1);
  }, 300_000);
});

suite("a service on sqld reads the server's page cache at start-up", () => {
  const env = (url: string) => ({
    DATABASE_URL: url,
    ROSTER_SECRET_KEY: Buffer.alloc(32, 13).toString("base64"),
    ROSTER_SCHEDULER: "off",
  });
  const started = async (stock: boolean) => {
    const sqld = await startSqld({ stock });
    cleanups.push(() => sqld.stop());
    const api = await spawnApi(env(sqld.url));
    api.child.kill();
    await api.child.exited;
    return api.startupLog;
  };

  test("sqld as shipped (2 MiB): the log says so and how to fix it", async () => {
    const log = await started(true);
    expect(log).toContain("page cache is 2 MiB");
    expect(log).toContain("--extensions-path");
  });

  test("sqld with Roster's extension: no warning", async () => {
    expect(await started(false)).not.toContain("page cache");
  });
});
