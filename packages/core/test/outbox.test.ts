import { afterAll, describe, expect, test } from "bun:test";
import { type ToyDirectory, toyConnector, toyUser } from "@roster/connector-kit/testing";
import { createDb, outbox, outboxBodies } from "@roster/db";
import { testDbKind } from "@roster/db/testing";
import { createEmailTransport } from "@roster/email";
import { type FakeResend, type FakeResendOptions, startFakeResend } from "@roster/email/testing";
import { eq } from "drizzle-orm";
import {
  type CoreDeps,
  checkExpiringSecrets,
  claimRun,
  connectConnection,
  createConnection,
  type EmailDispatcherOptions,
  executeRun,
  getRun,
  systemClock,
  updateConnection,
} from "../src/index.ts";
import { untilSettled, withDispatcher } from "./dispatch.ts";
import { seedTenant, testDeps } from "./support.ts";

const cleanups: Array<() => unknown> = [];
// Nine dispatchers end their loops one after the other: longer than 5 s on a busy machine.
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

const directoryOf = (count: number): ToyDirectory => ({
  users: Array.from({ length: count }, (_, i) => toyUser(`u${i}`)),
  groups: [],
  pageSize: 100,
});

/** Quick retries for the tests; the pacing by the provider stays as in production. */
const FAST: EmailDispatcherOptions = { retryBaseMs: 100, backoffBaseMs: 50, backoffMaxMs: 200 };

/** A tenant with a toy connection, real time, Resend configured to a fake of its own. */
async function setup(users: number, fake: FakeResendOptions = {}) {
  const resend = startFakeResend({ apiKey: "re_outbox", ...fake });
  cleanups.push(() => resend.stop());
  const email = createEmailTransport({ resendApiKey: "re_outbox", resendBaseUrl: resend.url });
  const env = await testDeps([toyConnector(directoryOf(users))], email);
  // Retries are due by the clock: these tests need it to move.
  env.deps.clock = systemClock;
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, {
    type: "toy",
    settings: { sendPinEmails: true },
    secret: "s3cret",
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
  const dispatch = (deps: CoreDeps = env.deps, options: EmailDispatcherOptions = {}) => {
    const dispatcher = withDispatcher(deps, { ...FAST, ...options });
    cleanups.push(() => dispatcher.stop());
    return dispatcher;
  };
  return { ...env, ...tenant, connection, run, resend, dispatch };
}

/** Every recipient delivered exactly once. */
const deliveredOnce = (resend: FakeResend, count: number) => {
  const recipients = resend.delivered.map((email) => email.to[0]);
  expect(recipients).toHaveLength(count);
  expect(new Set(recipients).size).toBe(count);
};

describe("the outbox dispatcher", () => {
  test("600 welcome emails at Resend's 2 requests/s: each delivered once, in about 3 s after the run, never over the limit", async () => {
    const env = await setup(600, { rateLimit: 2 });
    env.dispatch(env.deps, { ratePerSecond: 2 });
    const started = performance.now();
    const result = await env.run();
    const runSeconds = (performance.now() - started) / 1000;
    expect(result.counts.created).toBe(600);
    await untilSettled(env.deps);
    const seconds = (performance.now() - started) / 1000;
    deliveredOnce(env.resend, 600);
    // 600 / 100 per request / 2 per second = 3 s (the first request goes at once).
    expect(seconds).toBeLessThan(runSeconds + 3 + 1);
    expect(env.resend.requests.every((request) => request.status === 200)).toBe(true);
    expect(env.resend.requests.length).toBeLessThanOrEqual(8);
    expect((await getRun(env.ctx, result.id)).emails).toEqual({ pending: 0, sent: 600, failed: 0 });
    const rows = await env.deps.db.db.select().from(outbox);
    expect(rows.every((row) => row.providerId && row.sentAt)).toBe(true);
    // The bodies (each with a PIN) are gone once sent.
    expect(await env.deps.db.db.select().from(outboxBodies)).toEqual([]);
    expect(new Set(rows.map((row) => row.providerId)).size).toBe(600);
  }, 30_000);

  test("a provider slower than the ceiling: its ratelimit-remaining 0 is waited out, no 429", async () => {
    const env = await setup(300, { rateLimit: 1 });
    env.dispatch(env.deps, { ratePerSecond: 5 });
    await env.run();
    await untilSettled(env.deps);
    deliveredOnce(env.resend, 300);
    expect(env.resend.requests.every((request) => request.status === 200)).toBe(true);
  }, 30_000);

  test("another sender on the same team takes the limit: every 429 is waited out as told, nothing sent twice", async () => {
    const env = await setup(450, { rateLimit: 2 });
    // Requests without a key, refused, but each one counts against the team's limit.
    const intruder = (async () => {
      for (let i = 0; i < 8; i += 1) {
        await fetch(`${env.resend.url}/emails`, {
          method: "POST",
          headers: { authorization: "Bearer re_outbox", "content-type": "application/json" },
          body: "{}",
        });
        await Bun.sleep(250);
      }
    })();
    env.dispatch(env.deps, { ratePerSecond: 2 });
    await env.run();
    await untilSettled(env.deps);
    await intruder;
    deliveredOnce(env.resend, 450);
    const ours = env.resend.requests.filter((request) => request.idempotencyKey !== null);
    expect(ours.some((request) => request.status === 429)).toBe(true);
    ours.forEach((request, index) => {
      const next = ours[index + 1];
      if (request.status !== 429 || !next) return;
      expect(next.at - request.at).toBeGreaterThanOrEqual(
        (request.retryAfterSeconds ?? 1) * 1000 - 5,
      );
    });
    // A 429 costs no attempt.
    const rows = await env.deps.db.db.select().from(outbox);
    expect(rows.every((row) => row.attempts === 1)).toBe(true);
  }, 30_000);

  test("Resend answering 503 to the first 8 requests: every email delivered later, once", async () => {
    const env = await setup(600, { rateLimit: 50 });
    env.resend.failNext(8, 503);
    env.dispatch(env.deps, { ratePerSecond: 50 });
    const result = await env.run();
    await untilSettled(env.deps);
    deliveredOnce(env.resend, 600);
    expect(env.resend.requests.filter((request) => request.status === 503)).toHaveLength(8);
    expect((await getRun(env.ctx, result.id)).emails).toEqual({ pending: 0, sent: 600, failed: 0 });
    const rows = await env.deps.db.db.select().from(outbox);
    expect(Math.max(...rows.map((row) => row.attempts))).toBeGreaterThan(1);
  }, 30_000);

  test("an answer lost to a dropped connection: the retry under the same key sends nothing twice", async () => {
    const env = await setup(250, { rateLimit: 50 });
    env.resend.dropNext(2);
    env.dispatch(env.deps, { ratePerSecond: 50 });
    await env.run();
    await untilSettled(env.deps);
    deliveredOnce(env.resend, 250);
    expect(env.resend.requests.some((request) => request.replayed)).toBe(true);
  }, 30_000);

  test("a recipient Resend refuses with 422: that row failed at once, a warning on its run; the others delivered", async () => {
    const env = await setup(150, { rateLimit: 50, refused: ["u7@example.com"] });
    env.dispatch(env.deps, { ratePerSecond: 50 });
    const result = await env.run();
    await untilSettled(env.deps);
    deliveredOnce(env.resend, 149);
    const [refused] = await env.deps.db.db
      .select()
      .from(outbox)
      .where(eq(outbox.to, "u7@example.com"));
    expect(refused).toMatchObject({ status: "failed", attempts: 1 });
    expect(refused?.lastError).toContain("`to`");
    const detail = await getRun(env.ctx, result.id);
    expect(detail.emails).toEqual({ pending: 0, sent: 149, failed: 1 });
    expect(detail.warnings).toContainEqual(
      expect.objectContaining({ code: "pin_email_failed", email: "u7@example.com" }),
    );
  }, 30_000);

  test("a provider down for good: after the last attempt the rows fail with the last error", async () => {
    const env = await setup(3, { rateLimit: 50 });
    env.resend.failNext(1_000, 500);
    env.dispatch(env.deps, { ratePerSecond: 50, maxAttempts: 3 });
    const result = await env.run();
    await untilSettled(env.deps);
    expect(env.resend.delivered).toHaveLength(0);
    expect(env.resend.requests).toHaveLength(3);
    const rows = await env.deps.db.db.select().from(outbox);
    expect(rows.every((row) => row.status === "failed" && row.attempts === 3)).toBe(true);
    expect(rows[0]?.lastError).toContain("after 3 attempts");
    const detail = await getRun(env.ctx, result.id);
    expect(detail.warnings.filter((w) => w.code === "pin_email_failed")).toHaveLength(3);
  }, 30_000);

  test("two dispatchers on one database: no email sent twice", async () => {
    const env = await setup(1_000, { rateLimit: 100 });
    const other = await createDb({ url: env.url });
    cleanups.push(() => other.close());
    env.dispatch(env.deps, { ratePerSecond: 20 });
    const second = env.dispatch(
      { ...env.deps, db: other, instanceId: "other" },
      { ratePerSecond: 20 },
    );
    await env.run();
    second.wake();
    await untilSettled(env.deps);
    deliveredOnce(env.resend, 1_000);
    expect(new Set(env.resend.requests.map((request) => request.idempotencyKey)).size).toBe(
      env.resend.requests.length,
    );
  }, 30_000);

  test("a dispatcher stopped with batches claimed ahead puts them back: another sends them at once, nothing twice", async () => {
    const env = await setup(1_000, { rateLimit: 2 });
    // At 2 requests a second it holds every batch ahead (12 wanted); it sends about 2 before it stops.
    const first = env.dispatch(env.deps, { ratePerSecond: 2 });
    await env.run();
    while (env.resend.delivered.length === 0) await Bun.sleep(20);
    await first.stop();
    const held = await env.deps.db.client.execute(
      "select count(*) as n from outbox where status = 'pending' and lease_owner is not null",
    );
    expect(Number(held.rows[0]?.n)).toBe(0);
    env.resend.setRateLimit(100);
    env.dispatch(env.deps, { ratePerSecond: 100 });
    await untilSettled(env.deps, 5_000);
    deliveredOnce(env.resend, 1_000);
  }, 30_000);

  // Counts claims on the writer thread, which only a local file has (the same code runs on sqld).
  test.skipIf(testDbKind() === "sqld")(
    "a dispatcher that took every due row claims again only when new rows come: no empty claims in a sync's way",
    async () => {
      const env = await setup(1_000, { rateLimit: 100 });
      await env.run(); // queued before the dispatcher starts: no wake comes
      // Counts the claim transactions (each begins with the statement that resumes a keyed group).
      const writer = env.deps.db.openPageWriter?.();
      const returning = writer?.returning;
      if (!writer || !returning) throw new Error("a local file has a writer thread");
      let claims = 0;
      const counting = {
        ...writer,
        returning: (statements: Parameters<typeof returning>[0]) => {
          const first = statements[0];
          if (typeof first !== "string" && first?.sql.includes("idempotency_key = (")) claims += 1;
          return returning(statements);
        },
      };
      const deps = { ...env.deps, db: { ...env.deps.db, openPageWriter: () => counting } };
      // 5 a second, 6 s ahead, a second's worth a claim: 5 batches, 5 more, then none left;
      // the 10 go out over 2 s. No idle poll within the test: only the look finds new rows.
      env.dispatch(deps, { ratePerSecond: 5, idlePollMs: 60_000 });
      const deadline = Date.now() + 5_000;
      while (claims < 3 && Date.now() < deadline) await Bun.sleep(5);
      await Bun.sleep(300);
      expect(claims).toBe(3);
      expect(env.resend.delivered.length).toBeLessThan(1_000); // still sending

      // A row another process writes meanwhile (nothing wakes this dispatcher): the look, a
      // read every 100 ms while it sends, finds it; one claim takes it.
      const other = await createDb({ url: env.url });
      cleanups.push(() => other.close());
      await other.client.batch([
        `insert into outbox (id, "to", subject, kind, status, attempts, created_at)
       values ('eml_other', 'other@example.test', 'Hello', 'notice', 'pending', 0, 1)`,
        {
          sql: "insert into outbox_bodies (outbox_id, ciphertext) values ('eml_other', ?)",
          args: [env.deps.keyring.encrypt(JSON.stringify({ text: "t", html: "<p>t</p>" }))],
        },
      ]);
      await untilSettled(env.deps, 10_000);
      deliveredOnce(env.resend, 1_001);
      // Before: a claim after every request while fewer than half the batches were in hand.
      expect(claims).toBe(4);
    },
    30_000,
  );

  test("the secret-expiry email reaches the administrators through Resend", async () => {
    const env = await setup(0, { rateLimit: 50 });
    env.dispatch(env.deps, { ratePerSecond: 50 });
    const soon = new Date(Date.now() + 3 * 24 * 3600 * 1000).toISOString();
    await updateConnection(env.ctx, env.connection.id, { secretExpiresAt: soon });
    expect(await checkExpiringSecrets(env.deps)).toBe(1);
    await untilSettled(env.deps);
    expect(env.resend.delivered).toEqual([
      expect.objectContaining({
        to: ["admin@acme.example"],
        subject: expect.stringContaining("expires on"),
      }),
    ]);
  }, 30_000);
});
