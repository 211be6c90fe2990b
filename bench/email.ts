/**
 * The email section of the benchmark: N welcome emails queued by a full sync, delivered by
 * the outbox dispatcher through the fake Resend at a given rate limit. Compared with the
 * physical limit (N / 100 emails a request / rate) and with the same full sync without
 * Resend, to show the run itself only queues.
 */
import { startEmailDispatcherThread } from "@roster/core";
import { rosterInstance } from "./instance.ts";
import { show, summary } from "./measure.ts";
import { spawnResend } from "./resend-process.ts";
import { spawnSim } from "./sim-process.ts";

export type EmailBenchRow = {
  "rate req/s": number | "no Resend";
  emails: number;
  "full sync s": number | string;
  "delivered s": number | null;
  "limit s": number | null;
  "delivered / limit": number | null;
  requests: number | null;
  "429s": number | null;
};

/** Polled only once every email is delivered: a count over 100k pending rows is not free. */
async function pendingCount(instance: Awaited<ReturnType<typeof rosterInstance>>) {
  const result = await instance.handle.client.execute(
    "select count(*) as n from outbox where status = 'pending'",
  );
  return Number(result.rows[0]?.n);
}

/** One full sync of `users` with PIN emails on; with a rate, Resend and the dispatcher too. */
async function measure(users: number, rate: number | null, seed: number): Promise<EmailBenchRow> {
  const sim = await spawnSim(users, seed);
  const instance = await rosterInstance(sim, { sendPinEmails: true });
  const resend = rate === null ? null : await spawnResend("re_bench", rate);
  try {
    // As a service runs it: the dispatcher on its own thread (apps/api deps.ts startDispatcher).
    const dispatcher =
      rate === null || !resend
        ? null
        : startEmailDispatcherThread(
            {
              database: { url: String(instance.url) },
              secretKey: instance.deps.keyring.current,
              email: { resendApiKey: "re_bench", resendBaseUrl: resend.url },
              options: { ratePerSecond: rate },
            },
            instance.deps.log,
          );
    if (dispatcher) instance.deps.emailDispatcher = dispatcher;
    const started = performance.now();
    const run = await instance.run();
    if (run.outcome === "failed") throw new Error(`run failed: ${run.error}`);
    const syncSeconds = (performance.now() - started) / 1000;
    const emails = run.emails.pending + run.emails.sent + run.emails.failed;
    if (!dispatcher || !resend || rate === null) {
      return row("no Resend", emails, syncSeconds, null, null, null, null);
    }
    // Delivered when the provider has accepted every email (its own count); then every row
    // must be recorded sent.
    while ((await resend.delivered()) < emails) await Bun.sleep(20);
    const deliveredSeconds = (performance.now() - started) / 1000;
    while ((await pendingCount(instance)) > 0) await Bun.sleep(50);
    await dispatcher.stop();
    const stats = await resend.stats();
    if (stats.delivered !== emails || stats.duplicates !== 0) {
      throw new Error(
        `${stats.delivered} emails delivered (${stats.duplicates} twice), ${emails} queued`,
      );
    }
    const limit = Math.ceil(emails / 100) / rate;
    return row(
      rate,
      emails,
      syncSeconds,
      deliveredSeconds,
      limit,
      stats.requests,
      stats.rateLimited,
    );
  } finally {
    resend?.stop();
    await instance.close();
    sim.stop();
  }
}

const round = (value: number | null) => (value === null ? null : Number(value.toFixed(2)));

function row(
  rate: number | "no Resend",
  emails: number,
  sync: number,
  delivered: number | null,
  limit: number | null,
  requests: number | null,
  rateLimited: number | null,
): EmailBenchRow {
  return {
    "rate req/s": rate,
    emails,
    "full sync s": round(sync) as number,
    "delivered s": round(delivered),
    "limit s": round(limit),
    "delivered / limit": delivered !== null && limit ? round(delivered / limit) : null,
    requests,
    "429s": rateLimited,
  };
}

/**
 * The same full sync without Resend (`repeat` times: median and range, to judge whether
 * delivery changed the sync's time), then delivered at each rate, once each.
 */
export async function benchEmail(
  users: number,
  rates: number[],
  repeat: number,
): Promise<EmailBenchRow[]> {
  const baselines: EmailBenchRow[] = [];
  for (let i = 0; i < repeat; i += 1) baselines.push(await measure(users, null, 500));
  const syncTimes = baselines.map((baseline) => Number(baseline["full sync s"]));
  const rows: EmailBenchRow[] = [
    { ...(baselines[0] as EmailBenchRow), "full sync s": show(summary(syncTimes)) },
  ];
  for (const rate of rates) {
    rows.push(await measure(users, rate, 500));
    console.error(`  email: ${JSON.stringify(rows.at(-1))}`);
  }
  return rows;
}
