/**
 * `bun run bench [-- --sizes 1000,10000,100000 --repeat 3]`: how fast Roster syncs from the
 * Entra simulator (in its own process) into a fresh libSQL file, against two baselines
 * measured in the same run, how the API answers while a big sync runs, and how fast the
 * welcome emails of a full sync reach a rate-limited Resend (`--email-users`, `--email-rates`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "@roster/api";
import { encodeCursor } from "@roster/core";
import { benchEmail, type EmailBenchRow } from "./email.ts";
import { type BatchHook, rosterInstance } from "./instance.ts";
import { quantile, show, summary, timed } from "./measure.ts";
import { type SimProcess, spawnSim } from "./sim-process.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,100000" },
    repeat: { type: "string", default: "3" },
    "no-latency": { type: "boolean", default: false },
    /** Welcome emails for the email section (default: the largest size). */
    "email-users": { type: "string" },
    "email-rates": { type: "string", default: "2,50" },
    "no-email": { type: "boolean", default: false },
    /** Databases measured side by side: the embedded file and a local sqld (libSQL server). */
    databases: { type: "string", default: "file,sqld" },
  },
});
type DbKind = "file" | "sqld";
const DATABASES = values.databases.split(",") as DbKind[];
const SIZES = values.sizes.split(",").map(Number);
const REPEAT = Number(values.repeat);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

/** A Roster instance on a fresh database file (or beside another), counting round trips. */
async function roster(
  sim: SimProcess,
  beside?: Parameters<typeof rosterInstance>[3],
  kind: DbKind = "file",
) {
  const trips = { count: 0 };
  const count: BatchHook = (run) => {
    trips.count += 1;
    return run();
  };
  // Spec defaults, plus deletion so the churn run deletes.
  const instance = await rosterInstance(sim, { manageUserDeletion: true }, count, beside, kind);
  const sync = async () => {
    const run = await instance.run();
    if (run.outcome === "failed") throw new Error(`run failed: ${run.error}`);
    return run;
  };
  const read = async () => {
    let count = 0;
    const parsed = instance.connector.settings.parse(instance.settings);
    for await (const page of instance.connector.readUsers({
      settings: parsed,
      secret: sim.secret,
      log: quiet,
      fields: ["onPremisesSamAccountName"],
    })) {
      count += page.length;
    }
    return count;
  };
  return { ...instance, sync, read, trips, close: () => instance.handle.close() };
}

/**
 * Baseline (b) in a child process of its own, so that the memory it allocates does not
 * count toward the full sync's peak RSS measured in this one.
 */
async function plainInsert(count: number): Promise<number> {
  const child = Bun.spawn(["bun", join(import.meta.dir, "plain-insert.ts"), String(count)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const output = await new Response(child.stdout).text();
  if ((await child.exited) !== 0) throw new Error("the plain insert baseline failed");
  return Number(output.trim());
}

type Sample = {
  read: number;
  insert: number;
  full: number;
  fullRss: number;
  fullTrips: number;
  unchanged: number;
  churn: number;
};
const results: Array<{ users: number; database: DbKind; samples: Sample[] }> = [];

for (const size of SIZES) {
  const samples: Record<string, Sample[]> = Object.fromEntries(DATABASES.map((k) => [k, []]));
  // Side by side: each repeat measures every database against the same directory.
  for (let repeat = 0; repeat < REPEAT; repeat += 1)
    for (const kind of DATABASES) {
      const sim = await spawnSim(size, 100 + repeat);
      const instance = await roster(sim, undefined, kind);
      try {
        const read = await timed(instance.read);
        const insert = await plainInsert(size + 10);
        Bun.gc(true);
        const before = instance.trips.count;
        const full = await timed(instance.sync);
        const fullTrips = instance.trips.count - before;
        const unchanged = await timed(instance.sync);
        if (unchanged.result.counts.unchanged === 0)
          throw new Error("second run was not a no-change run");
        await sim.control("POST", `/tenants/${sim.tenantId}/churn`, { percent: 1 });
        const churn = await timed(instance.sync);
        if (churn.result.counts.created === 0 || churn.result.counts.deleted === 0)
          throw new Error("the churn run changed nothing");
        samples[kind]?.push({
          read: read.seconds,
          insert,
          full: full.seconds,
          fullRss: full.peakRssMb,
          fullTrips,
          unchanged: unchanged.seconds,
          churn: churn.seconds,
        });
        console.error(
          `  ${size} users, ${kind}, run ${repeat + 1}: full ${full.seconds.toFixed(2)} s, read ${read.seconds.toFixed(2)} s, insert ${insert.toFixed(2)} s, churn counts ${JSON.stringify(churn.result.counts)}`,
        );
      } finally {
        instance.close();
        sim.stop();
      }
    }
  for (const kind of DATABASES) {
    results.push({ users: size + 10, database: kind, samples: samples[kind] ?? [] });
  }
}

const table = results.map(({ users, database, samples }) => {
  const pick = (key: keyof Sample) => summary(samples.map((s) => s[key]));
  const ratio = summary(samples.map((s) => s.full / (s.read + s.insert)));
  const file = results.find((r) => r.users === users && r.database === "file");
  // The same repeat's file run: the target is sqld within 1.5x of the file.
  const vsFile = file
    ? show(summary(samples.map((s, i) => s.full / (file.samples[i]?.full ?? Number.NaN))))
    : "";
  return {
    users,
    database,
    "full sync s": show(pick("full")),
    "users/s": Math.round(users / pick("full").median),
    "peak RSS MiB": Math.round(pick("fullRss").median),
    "db round trips": Math.round(pick("fullTrips").median),
    "no-change s": show(pick("unchanged")),
    "1% churn s": show(pick("churn")),
    "read only s (a)": show(pick("read")),
    "plain insert s (b)": show(pick("insert")),
    "full / (a+b)": show(ratio),
    "full / file's": vsFile,
  };
});
console.table(table);

/** GET /api/users latency, idle and while a full sync of the largest size runs. */
const latencies: Record<string, unknown>[] = [];
if (!values["no-latency"])
  for (const kind of DATABASES) {
    const size = Math.max(...SIZES);
    const sim = await spawnSim(size, 999);
    const warm = await roster(sim, undefined, kind);
    await warm.sync();
    const app = createApp({ deps: warm.deps, localOutbox: true, publicUrl: "http://localhost" });
    const deepRow = (
      await warm.deps.db.client.execute({
        sql: "select id, created_at from users where tenant_id = ? order by created_at, id limit 1 offset ?",
        args: [warm.tenant.id, Math.floor(size * 0.9)],
      })
    ).rows[0];
    const deep = encodeCursor({ at: Number(deepRow?.created_at), id: String(deepRow?.id) });
    const login = await app.request("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        tenant: "bench",
        email: "admin@bench.test",
        password: "bench-password",
      }),
    });
    const token = ((await login.json()) as { token: string }).token;
    const first = "/api/users?limit=50";
    const deepPath = `/api/users?limit=50&cursor=${deep}`;
    const request = async (path: string) => {
      const response = await app.request(path, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
    };
    const stats = (times: number[]) => ({
      median: Number(quantile(times, 0.5).toFixed(1)),
      p95: Number(quantile(times, 0.95).toFixed(1)),
    });
    const idle = async (path: string) => {
      const times: number[] = [];
      for (let i = 0; i < 200; i += 1) {
        const started = performance.now();
        await request(path);
        times.push(performance.now() - started);
      }
      return stats(times);
    };
    /**
     * A client asking for the first page and the deep page in turn, one every 10 ms, while
     * `work` runs. Each request is timed from when it was due, not from when this process got
     * round to sending it, so a blocked event loop counts in full (no coordinated omission).
     */
    const during = async (work: Promise<unknown>) => {
      let running = true;
      const finished = work.finally(() => {
        running = false;
      });
      const times: Record<"firstPage" | "deepPage", number[]> = { firstPage: [], deepPage: [] };
      // Also each request's own time from when it was sent: where requests take longer than
      // the 10 ms schedule (a server's round trips), the lag from the schedule accumulates.
      const service: number[] = [];
      let due = performance.now();
      for (let i = 0; running; i += 1) {
        const wait = due - performance.now();
        if (wait > 0) await Bun.sleep(wait);
        const deepOne = i % 2 === 1;
        const sent = performance.now();
        await request(deepOne ? deepPath : first);
        times[deepOne ? "deepPage" : "firstPage"].push(performance.now() - due);
        service.push(performance.now() - sent);
        due += 10;
      }
      await finished;
      return {
        firstPage: stats(times.firstPage),
        deepPage: stats(times.deepPage),
        eachRequest: stats(service),
      };
    };
    const idleLatency = { firstPage: await idle(first), deepPage: await idle(deepPath) };
    // Another tenant of the same database syncs its directory for the first time...
    const sim2 = await spawnSim(size, 1000);
    const busy = await roster(sim2, { handle: warm.handle, slug: "busy" }, kind);
    const duringFullSync = await during(busy.sync());
    // ...and the measured tenant's own daily run, which changes nothing.
    const duringNoChangeSync = await during(warm.sync());
    const latency = {
      users: size + 10,
      database: kind,
      idle: idleLatency,
      duringFullSync,
      duringNoChangeSync,
    };
    latencies.push(latency);
    console.log(`GET /api/users at ${size + 10} users, ${kind} (ms): ${JSON.stringify(latency)}`);
    warm.close();
    sim.stop();
    sim2.stop();
  }

/** Welcome emails queued by a full sync, delivered through the fake Resend at each rate. */
let email: EmailBenchRow[] | null = null;
if (!values["no-email"]) {
  const users = Number(values["email-users"] ?? Math.max(...SIZES));
  email = await benchEmail(users, values["email-rates"].split(",").map(Number), REPEAT);
  console.table(email);
}

mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(
  join(import.meta.dir, "results", "latest.json"),
  `${JSON.stringify({ date: new Date().toISOString(), machine: `${navigator.hardwareConcurrency} cores, Bun ${Bun.version}`, repeat: REPEAT, table, latency: latencies, email, raw: results }, null, 2)}\n`,
);
process.exit(0);
