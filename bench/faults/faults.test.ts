import { afterAll, describe, expect, test } from "bun:test";
import { createApp } from "@roster/api";
import { createDb } from "@roster/db";
import { startFakeResend } from "@roster/email/testing";
import { generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";
import { type BatchHook, rosterInstance } from "../instance.ts";
import { spawnSim } from "../sim-process.ts";
import { client, spawnApi, tempDatabase, until } from "./support.ts";

/** Directory size for the kill -9 scenario (FAULT_USERS=100000 for the full-size run). */
const USERS = Number(process.env.FAULT_USERS ?? 30_000);
const cleanups: Array<() => void | Promise<void>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe("a process killed mid-run", () => {
  test(`kill -9 during a ${USERS}-user run: the lease lapses, the next run converges exactly`, async () => {
    const sim = await spawnSim(USERS, 77);
    cleanups.push(() => sim.stop());
    const env = {
      DATABASE_URL: await tempDatabase(),
      ROSTER_SECRET_KEY: Buffer.alloc(32, 5).toString("base64"),
      ROSTER_ADMIN_EMAIL: "admin@faults.test",
      ROSTER_ADMIN_PASSWORD: "faults-password-1",
      AZURE_AUTHORITY_HOST: sim.url,
      GRAPH_BASE_URL: sim.url,
      ROSTER_SCHEDULER: "off",
      ROSTER_RUN_LEASE_SECONDS: "3",
    };
    const first = await spawnApi(env);
    const api = client(first.url);
    await api.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    const connection = await api.call("POST", "/api/user-sync/connections", {
      type: "entra-id",
      settings: {
        applicationId: sim.clientId,
        directoryId: sim.tenantId,
        aliasTemplate: "%userPrincipalName%",
        manageUserDeletion: true,
      },
      secret: sim.secret,
    });
    expect(
      (await api.call("POST", `/api/user-sync/connections/${connection.json.id}/connect`)).status,
    ).toBe(200);
    const started = await api.call("POST", `/api/user-sync/connections/${connection.json.id}/sync`);
    expect(started.status).toBe(202);
    // Kill it once some pages are written and the run is still going.
    await until(
      async () => {
        const users = await api.call("GET", "/api/users?tag=AD%20synced&limit=1");
        return users.json.items.length > 0;
      },
      60_000,
      "the first users to be written",
    );
    first.child.kill(9);
    await first.child.exited;

    const second = await spawnApi(env);
    cleanups.push(() => void second.child.kill());
    const again = client(second.url);
    await again.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    // While the dead run's lease still holds, a new run is refused; once it lapses, it starts.
    const next = await until(
      async () => {
        const result = await again.call(
          "POST",
          `/api/user-sync/connections/${connection.json.id}/sync`,
        );
        return result.status === 202 ? result.json.run : null;
      },
      20_000,
      "the lease to lapse",
    );
    const dead = await again.call("GET", `/api/user-sync/runs/${started.json.run.id}`);
    expect(dead.json.outcome).toBe("failed");
    expect(dead.json.error).toContain("stopped before it finished");
    const finished = await until(
      async () => {
        const run = await again.call("GET", `/api/user-sync/runs/${next.id}`);
        return run.json.outcome !== "running" ? run.json : null;
      },
      120_000,
      "the recovery run",
    );
    expect(finished.outcome).toBe("completed_with_errors");
    expect(finished.counts.failed).toBe(6);

    // Exactly the directory: every valid user once, each with its alias, nobody lost.
    const db = await createDb({ url: env.DATABASE_URL });
    const row = (
      await db.client.execute(`
      select count(*) as users, count(distinct external_id) as distinct_ids, count(distinct lower(email)) as emails,
             sum(case when not exists (select 1 from user_aliases a where a.user_id = u.id) then 1 else 0 end) as without_alias
      from users u where connection_id is not null and deleted_at is null`)
    ).rows[0];
    db.close();
    expect(row).toMatchObject({
      users: USERS + 3,
      distinct_ids: USERS + 3,
      emails: USERS + 3,
      without_alias: 0,
    });
  }, 240_000);
});

describe("several instances", () => {
  test("two API processes with the scheduler on, one database, a due slot: exactly one run", async () => {
    const sim = await spawnSim(200, 78);
    cleanups.push(() => sim.stop());
    const env = {
      DATABASE_URL: await tempDatabase(),
      ROSTER_SECRET_KEY: Buffer.alloc(32, 6).toString("base64"),
      ROSTER_ADMIN_EMAIL: "admin@faults.test",
      ROSTER_ADMIN_PASSWORD: "faults-password-1",
      AZURE_AUTHORITY_HOST: sim.url,
      GRAPH_BASE_URL: sim.url,
      ROSTER_SCHEDULER: "off",
    };
    const setup = await spawnApi(env);
    const api = client(setup.url);
    await api.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    const connection = await api.call("POST", "/api/user-sync/connections", {
      type: "entra-id",
      settings: { applicationId: sim.clientId, directoryId: sim.tenantId },
      secret: sim.secret,
    });
    await api.call("POST", `/api/user-sync/connections/${connection.json.id}/connect`);
    await api.call("PUT", `/api/user-sync/connections/${connection.json.id}/auto-sync`, {
      enabled: true,
    });
    setup.child.kill();
    await setup.child.exited;
    // The service was down when the slot came: it is due now, for both instances at once.
    const db = await createDb({ url: env.DATABASE_URL });
    await db.client.execute({
      sql: "update connections set auto_sync_next_run_at = ?",
      args: [Date.now() - 60_000],
    });
    const instances = await Promise.all([
      spawnApi({ ...env, ROSTER_SCHEDULER: "on" }),
      spawnApi({ ...env, ROSTER_SCHEDULER: "on" }),
    ]);
    for (const instance of instances) cleanups.push(() => void instance.child.kill());
    const runs = async () =>
      (await db.client.execute("select outcome from sync_runs")).rows.map((row) =>
        String(row.outcome),
      );
    await until(
      async () => (await runs()).some((outcome) => outcome !== "running"),
      30_000,
      "the automatic run",
    );
    await Bun.sleep(1500);
    expect(await runs()).toEqual(["completed_with_errors"]);
    db.close();
  }, 60_000);
});

/** A service on a fresh database with Resend configured to a fake, and a connected sync. */
async function emailService(users: number, seed: number) {
  const sim = await spawnSim(users, seed);
  cleanups.push(() => sim.stop());
  const resend = startFakeResend({ apiKey: "re_faults", rateLimit: 2 });
  cleanups.push(() => resend.stop());
  const env = {
    DATABASE_URL: await tempDatabase(),
    ROSTER_SECRET_KEY: Buffer.alloc(32, 8).toString("base64"),
    ROSTER_ADMIN_EMAIL: "admin@faults.test",
    ROSTER_ADMIN_PASSWORD: "faults-password-1",
    AZURE_AUTHORITY_HOST: sim.url,
    GRAPH_BASE_URL: sim.url,
    RESEND_API_KEY: "re_faults",
    RESEND_BASE_URL: resend.url,
    ROSTER_SCHEDULER: "on",
    // Also how long a dead process's claimed emails stay claimed.
    ROSTER_RUN_LEASE_SECONDS: "3",
  };
  const connect = async (url: string) => {
    const api = client(url);
    await api.login("default", env.ROSTER_ADMIN_EMAIL, env.ROSTER_ADMIN_PASSWORD);
    const connection = await api.call("POST", "/api/user-sync/connections", {
      type: "entra-id",
      settings: { applicationId: sim.clientId, directoryId: sim.tenantId, sendPinEmails: true },
      secret: sim.secret,
    });
    await api.call("POST", `/api/user-sync/connections/${connection.json.id}/connect`);
    const started = await api.call("POST", `/api/user-sync/connections/${connection.json.id}/sync`);
    const run = await until(
      async () => {
        const result = await api.call("GET", `/api/user-sync/runs/${started.json.run.id}`);
        return result.json.outcome !== "running" ? result.json : null;
      },
      60_000,
      "the run",
    );
    return { api, run };
  };
  const pending = async () => {
    const db = await createDb({ url: env.DATABASE_URL });
    const row = (
      await db.client.execute("select count(*) as n from outbox where status = 'pending'")
    ).rows[0];
    db.close();
    return Number(row?.n);
  };
  /** Each recipient once, and as many as the run created. */
  const deliveredOnce = (count: number) => {
    const recipients = resend.delivered.map((email) => email.to[0]);
    expect(new Set(recipients).size).toBe(count);
    expect(recipients).toHaveLength(count);
  };
  return { sim, resend, env, connect, pending, deliveredOnce };
}

describe("email delivery across processes", () => {
  test("kill -9 between the users' commit and delivery: after a restart every email is delivered exactly once", async () => {
    const service = await emailService(600, 81);
    // Resend takes the first batch and sends it, but its answer never comes back.
    service.resend.hold();
    const first = await spawnApi(service.env);
    const { run } = await service.connect(first.url);
    expect(run.counts.created).toBeGreaterThan(600);
    await until(async () => service.resend.delivered.length > 0, 10_000, "the first batch");
    first.child.kill(9);
    await first.child.exited;
    service.resend.release();
    expect(await service.pending()).toBe(run.counts.created);

    const second = await spawnApi(service.env);
    cleanups.push(() => void second.child.kill());
    await until(async () => (await service.pending()) === 0, 30_000, "every email delivered");
    service.deliveredOnce(run.counts.created);
    // The batch whose answer was lost went again under its key: Resend replayed it.
    expect(service.resend.requests.some((request) => request.replayed)).toBe(true);
    const detail = await client(second.url);
    await detail.login(
      "default",
      service.env.ROSTER_ADMIN_EMAIL,
      service.env.ROSTER_ADMIN_PASSWORD,
    );
    const after = await detail.call("GET", `/api/user-sync/runs/${run.id}`);
    expect(after.json.emails).toEqual({ pending: 0, sent: run.counts.created, failed: 0 });
  }, 120_000);

  test("two service processes with the scheduler on, one database, emails queued: none sent twice", async () => {
    const service = await emailService(600, 82);
    // The run happens in a process without the scheduler, so no dispatcher: all stay queued.
    const setup = await spawnApi({ ...service.env, ROSTER_SCHEDULER: "off" });
    const { run } = await service.connect(setup.url);
    setup.child.kill();
    await setup.child.exited;
    expect(service.resend.requests).toHaveLength(0);
    service.resend.setRateLimit(20);
    const instances = await Promise.all([
      spawnApi({ ...service.env, ROSTER_EMAIL_RATE: "10" }),
      spawnApi({ ...service.env, ROSTER_EMAIL_RATE: "10" }),
    ]);
    for (const instance of instances) cleanups.push(() => void instance.child.kill());
    await until(async () => (await service.pending()) === 0, 30_000, "every email delivered");
    service.deliveredOnce(run.counts.created);
    // Nothing had to be replayed either: each batch was claimed by one process only.
    expect(service.resend.requests.every((request) => !request.replayed)).toBe(true);
  }, 120_000);
});

/** An in-process Roster on a fresh database with the simulator, for the directory faults. */
async function inProcess(users: number, hook?: BatchHook) {
  const directory = new SimDirectory();
  const entra = generateTenant(directory, { users, seed: 3 });
  const sim = await startEntraSim({ directory });
  cleanups.push(() => sim.stop());
  const instance = await rosterInstance(
    { url: sim.url, tenantId: entra.tenantId, clientId: entra.clientId, secret: entra.secret },
    // Every user gets an alias, so "a user without its aliases" is a half-written user.
    { manageUserDeletion: true, aliasTemplate: "%userPrincipalName%" },
    hook,
  );
  const active = async () =>
    Number(
      (
        await instance.handle.client.execute(
          "select count(*) as n from users where connection_id is not null and deleted_at is null",
        )
      ).rows[0]?.n,
    );
  return { ...instance, sim, active };
}

describe("directory faults", () => {
  test("a throttling storm (every other request 429): the run completes, waiting only as told", async () => {
    const env = await inProcess(4000);
    env.sim.setFaults({ throttleEvery: { every: 2, retryAfterSeconds: 1 } });
    const started = performance.now();
    const result = await env.run();
    const seconds = (performance.now() - started) / 1000;
    expect(result.outcome).toBe("completed_with_errors");
    expect(result.counts.created).toBe(4003);
    // 5 pages, each throttled at most once or twice for 1 s: bounded well below a minute.
    expect(seconds).toBeLessThan(20);
    expect(env.sim.counts.throttled).toBeGreaterThan(0);
  }, 60_000);

  test.each([
    ["a 5xx from page 2 on", { failFromPage: 2 }],
    ["a connection dropped on page 2", { dropFromPage: 2 }],
  ])(
    "%s: the run fails, nobody is deleted, the next run converges",
    async (_name, fault) => {
      const env = await inProcess(3000);
      await env.run();
      const before = await env.active();
      env.sim.setFaults(fault);
      // Full reads: a run reading changes after a quiet day asks for one page only.
      const failed = await env.run("full");
      expect(failed.outcome).toBe("failed");
      expect(failed.counts.deleted).toBe(0);
      expect(await env.active()).toBe(before);
      env.sim.setFaults({});
      const healed = await env.run("full");
      expect(healed.counts).toMatchObject({ created: 0, deleted: 0, unchanged: before });
    },
    60_000,
  );
});

describe("storage faults", () => {
  test("the disk fills mid-run: the run fails with the reason, the API stays up, no user is half-written", async () => {
    let batches = 0;
    // A driver that fails like a full disk after the first write.
    // 25,000 users are three write chunks: the first is written, the second meets a full disk.
    const env = await inProcess(25_000, (run, kind) => {
      if (kind === "execute") return run();
      batches += 1;
      if (batches <= 1) return run();
      return Promise.reject(
        Object.assign(new Error("SQLITE_FULL: database or disk is full"), { code: "SQLITE_FULL" }),
      );
    });
    const result = await env.run();
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain("database refused writes");
    const app = createApp({ deps: env.deps, localOutbox: true, publicUrl: "http://localhost" });
    expect((await app.request("/health")).status).toBe(200);
    const orphans = await env.handle.client.execute(
      "select count(*) as n from users u where connection_id is not null and not exists (select 1 from user_aliases a where a.user_id = u.id)",
    );
    expect(Number(orphans.rows[0]?.n)).toBe(0);
  }, 60_000);
});
