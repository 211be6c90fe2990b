import { afterAll, describe, expect, test } from "bun:test";
import { type ToyDirectory, toyUser } from "@roster/connector-kit/testing";
import { startFakeResend } from "@roster/email/testing";
import { getRun, memoryLogger, startEmailDispatcherThread, systemClock } from "../src/index.ts";
import { untilSettled } from "./dispatch.ts";
import { toySync } from "./support.ts";

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
}, 30_000);

const directory = (count: number): ToyDirectory => ({
  users: Array.from({ length: count }, (_, i) => toyUser(`u${i}`)),
  groups: [],
  pageSize: 100,
});

/** A run of `users` new users with PIN emails on, queued in the outbox (Resend configured). */
async function queuedWelcomeEmails(users: number) {
  const resend = startFakeResend({ apiKey: "re_thread", rateLimit: 10 });
  cleanups.push(() => resend.stop());
  const env = await toySync(directory(users), { sendPinEmails: true });
  // The run only queues: the transport's kind says Resend delivers, the thread sends.
  env.deps.email = {
    kind: "resend",
    sendBatch: () => Promise.reject(new Error("the run itself never sends")),
  };
  env.deps.clock = systemClock;
  const run = await env.run();
  return { ...env, runId: run.id, resend };
}

describe("the dispatcher on its own thread", () => {
  test("delivers what a run queued, each email once, and the run counts them sent", async () => {
    const env = await queuedWelcomeEmails(250);
    const dispatcher = startEmailDispatcherThread(
      {
        database: { url: env.url },
        secretKey: env.deps.keyring.current,
        email: { resendApiKey: "re_thread", resendBaseUrl: env.resend.url },
        options: { ratePerSecond: 10 },
      },
      env.deps.log,
    );
    cleanups.push(() => dispatcher.stop());
    dispatcher.wake();
    await untilSettled(env.deps);
    await dispatcher.stop();
    const recipients = env.resend.delivered.map((email) => email.to[0]);
    expect(recipients).toHaveLength(250);
    expect(new Set(recipients).size).toBe(250);
    // Decrypted on the thread with the process's key: the PIN is in the body Resend got.
    expect(env.resend.delivered[0]?.text).toMatch(/Your PIN is \d+\./);
    expect((await getRun(env.ctx, env.runId)).emails).toEqual({ pending: 0, sent: 250, failed: 0 });
    expect(env.resend.requests.filter((request) => request.status === 429)).toHaveLength(0);
  }, 30_000);

  test("its log lines reach the process's logger, and stop() ends it even when it could not start", async () => {
    const log = memoryLogger();
    const dispatcher = startEmailDispatcherThread(
      {
        database: { url: "file:/proc/roster-no-such-dir/x.db" },
        secretKey: { id: "k", bytes: Buffer.alloc(32, 1) },
        email: { resendApiKey: "re_x", resendBaseUrl: "http://127.0.0.1:9" },
      },
      log,
    );
    const deadline = Date.now() + 10_000;
    while (log.lines.length === 0 && Date.now() < deadline) await Bun.sleep(20);
    await dispatcher.stop();
    expect(log.lines.join("\n")).toContain("email dispatcher could not open the database");
  });
});
