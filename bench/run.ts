/**
 * `bun run bench [-- --sizes 1000,10000,100000 --repeat 3]`: how fast Roster syncs from the
 * Entra simulator (in its own process) into a fresh libSQL file, against two baselines
 * measured in the same run; what a run reading only the changes costs next to one reading
 * everything (`--no-incremental` skips it), also against a slow Graph (`--graph-latency-users`,
 * `--graph-latency-ms`, `--no-graph-latency`); how the API answers while a big sync runs; and
 * how fast the welcome emails of a full sync reach a rate-limited Resend (`--email-users`,
 * `--email-rates`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "@roster/api";
import { encodeCursor } from "@roster/core";
import { benchEmail, type EmailBenchRow } from "./email.ts";
import { benchGraphLatency, type GraphLatencyRow } from "./graph-latency.ts";
import type { DbKind } from "./instance.ts";
import { quantile, show, summary, timed } from "./measure.ts";
import { graphRequestsDuring, measuredRoster } from "./measured-roster.ts";
import { spawnSim } from "./sim-process.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,10000,100000" },
    /** Each size on each database, side by side in one run: `file` (embedded) and `sqld`. */
    databases: { type: "string", default: "file,sqld" },
    repeat: { type: "string", default: "3" },
    "no-incremental": { type: "boolean", default: false },
    /** Users of the slow-Graph section (default: the largest size, at most 100,000). */
    "graph-latency-users": { type: "string" },
    "graph-latency-ms": { type: "string", default: "500" },
    "no-graph-latency": { type: "boolean", default: false },
    "no-latency": { type: "boolean", default: false },
    /** Welcome emails for the email section (default: the largest size). */
    "email-users": { type: "string" },
    "email-rates": { type: "string", default: "2,50" },
    "no-email": { type: "boolean", default: false },
  },
});
const SIZES = values.sizes.split(",").map(Number);
const DATABASES = values.databases.split(",") as DbKind[];
const REPEAT = Number(values.repeat);
const INCREMENTAL = !values["no-incremental"];

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
  /** Runs reading only the changes (absent with `--no-incremental`). */
  unchangedIncremental?: number;
  unchangedIncrementalTrips?: number;
  unchangedIncrementalRequests?: Record<string, number>;
  churnIncremental?: number;
  churnIncrementalTrips?: number;
  churnIncrementalRequests?: Record<string, number>;
};
const results: Array<{ users: number; database: DbKind; samples: Sample[] }> = [];
const changed = (counts: { created: number; updated: number; deleted: number; restored: number }) =>
  counts.created + counts.updated + counts.deleted + counts.restored;

for (const size of SIZES) {
  const samples = new Map<DbKind, Sample[]>(DATABASES.map((database) => [database, []]));
  // Repeats outermost: the databases' samples of one repeat are taken minutes apart, not a
  // whole size apart, so a machine that slows down slows both alike.
  for (let repeat = 0; repeat < REPEAT; repeat += 1)
    for (const database of DATABASES) {
      const sim = await spawnSim(size, 100 + repeat);
      const instance = await measuredRoster(sim, undefined, database);
      try {
        const read = await timed(instance.read);
        // Baseline (b) is a plain insert into a file, whatever the database measured.
        const insert = await plainInsert(size + 10);
        Bun.gc(true);
        let before = instance.trips.count;
        // The connection's first run reads everything and keeps a cursor.
        const full = await timed(() => instance.sync(undefined, "full"));
        const fullTrips = instance.trips.count - before;
        // The rows measured before runs could read changes: every run reads the whole directory.
        const unchanged = await timed(() => instance.sync("full", "full"));
        if (unchanged.result.counts.unchanged === 0)
          throw new Error("second run was not a no-change run");
        const sample: Sample = {
          read: read.seconds,
          insert,
          full: full.seconds,
          fullRss: full.peakRssMb,
          fullTrips,
          unchanged: unchanged.seconds,
          churn: Number.NaN,
        };
        if (INCREMENTAL) {
          // The same quiet day read as changes, from the cursor the full run above kept.
          before = instance.trips.count;
          const quiet = await graphRequestsDuring(sim, () =>
            timed(() => instance.sync("incremental", "incremental")),
          );
          if (changed(quiet.result.result.counts) !== 0)
            throw new Error(
              `a no-change day changed users: ${JSON.stringify(quiet.result.result.counts)}`,
            );
          sample.unchangedIncremental = quiet.result.seconds;
          sample.unchangedIncrementalTrips = instance.trips.count - before;
          sample.unchangedIncrementalRequests = quiet.requests;
        }
        await sim.churn(1, 7);
        const churn = await timed(() => instance.sync("full", "full"));
        if (churn.result.counts.created === 0 || churn.result.counts.deleted === 0)
          throw new Error("the churn run changed nothing");
        sample.churn = churn.seconds;
        let churnCounts = churn.result.counts;
        if (INCREMENTAL) {
          // Another day of churn (another seed: other users), read as changes. A day that
          // frees an email a failed user wanted makes the run read everything (by design,
          // `email_conflict_freed`); that run times a full read, so another day is taken.
          let seed = 8;
          let day = await sim.churn(1, seed);
          before = instance.trips.count;
          let changes = await graphRequestsDuring(sim, () =>
            timed(() => instance.sync("incremental")),
          );
          while (changes.result.result.mode !== "incremental") {
            if (seed > 300) throw new Error("three churn days in a row were read in full");
            console.error(
              `  churn day ${seed} read in full (${changes.result.result.fullReason}); another day`,
            );
            seed += 100;
            day = await sim.churn(1, seed);
            before = instance.trips.count;
            changes = await graphRequestsDuring(sim, () =>
              timed(() => instance.sync("incremental")),
            );
          }
          const counts = changes.result.result.counts;
          if (counts.created !== day.added || counts.deleted === 0)
            throw new Error(
              `the churn day added ${day.added} and removed ${day.removed} users; the run counted ${JSON.stringify(counts)}`,
            );
          sample.churnIncremental = changes.result.seconds;
          sample.churnIncrementalTrips = instance.trips.count - before;
          sample.churnIncrementalRequests = changes.requests;
          churnCounts = counts;
        }
        samples.get(database)?.push(sample);
        const incremental = INCREMENTAL
          ? `, no-change incremental ${sample.unchangedIncremental?.toFixed(3)} s (${JSON.stringify(sample.unchangedIncrementalRequests)}), churn incremental ${sample.churnIncremental?.toFixed(3)} s (${JSON.stringify(sample.churnIncrementalRequests)})`
          : "";
        console.error(
          `  ${size} users on ${database}, run ${repeat + 1}: full ${full.seconds.toFixed(2)} s, read ${read.seconds.toFixed(2)} s, insert ${insert.toFixed(2)} s${incremental}, churn counts ${JSON.stringify(churnCounts)}`,
        );
      } finally {
        await instance.close();
        sim.stop();
      }
    }
  for (const [database, taken] of samples)
    results.push({ users: size + 10, database, samples: taken });
}

/** A time as a share of the same sample's full sync. */
const shareOfFull = (samples: Sample[], key: "unchangedIncremental" | "churnIncremental") =>
  summary(
    samples.map((s) => (100 * (s[key] as number)) / s.full),
    1,
  );
const percent = (s: { median: number; min: number; max: number }) =>
  `${s.median} % (${s.min}–${s.max})`;

const table = results.map(({ users, database, samples }) => {
  const pick = (key: keyof Sample) => summary(samples.map((s) => s[key] as number));
  const ratio = summary(samples.map((s) => s.full / (s.read + s.insert)));
  const incremental = INCREMENTAL
    ? {
        "no-change incr. s": show(
          summary(
            samples.map((s) => s.unchangedIncremental as number),
            3,
          ),
        ),
        "no-change incr. % of full": percent(shareOfFull(samples, "unchangedIncremental")),
        "1% churn incr. s": show(
          summary(
            samples.map((s) => s.churnIncremental as number),
            3,
          ),
        ),
        "1% churn incr. % of full": percent(shareOfFull(samples, "churnIncremental")),
      }
    : {};
  return {
    users,
    database,
    "full sync s": show(pick("full")),
    "users/s": Math.round(users / pick("full").median),
    "peak RSS MiB": Math.round(pick("fullRss").median),
    "db round trips": Math.round(pick("fullTrips").median),
    "no-change full s": show(pick("unchanged")),
    "1% churn full s": show(pick("churn")),
    ...incremental,
    "read only s (a)": show(pick("read")),
    "plain insert s (b)": show(pick("insert")),
    "full / (a+b)": show(ratio),
  };
});
console.table(table);

/** Issue 15's targets for runs reading changes, per size (medians). */
const targets = INCREMENTAL
  ? results.map(({ users, database, samples }) => {
      const quiet = shareOfFull(samples, "unchangedIncremental").median;
      const churn = shareOfFull(samples, "churnIncremental").median;
      const quietSeconds = summary(
        samples.map((s) => s.unchangedIncremental as number),
        3,
      ).median;
      const verdicts = [
        `no-change incremental ${quiet} % of the full sync (target ≤ 5 %: ${quiet <= 5 ? "met" : "NOT met"})`,
        `1 % churn incremental ${churn} % (target ≤ 10 %: ${churn <= 10 ? "met" : "NOT met"})`,
      ];
      if (users >= 1_000_000)
        verdicts.push(
          `no-change incremental ${quietSeconds} s (target ≤ 1 s: ${quietSeconds <= 1 ? "met" : "NOT met"})`,
        );
      console.log(`${users} users on ${database}: ${verdicts.join("; ")}`);
      return { users, database, verdicts };
    })
  : null;

/** Issue 18's target: a sync on sqld within 1.5× of the same sync on a file (per-repeat ratios). */
const serverRatios = SIZES.flatMap((size) => {
  const of = (database: DbKind) =>
    results.find((result) => result.users === size + 10 && result.database === database)?.samples;
  const [file, sqld] = [of("file"), of("sqld")];
  if (!file || !sqld) return [];
  const ratio = (key: "full" | "unchanged" | "churn") =>
    summary(
      sqld.map((sample, index) => sample[key] / (file[index] as Sample)[key]),
      2,
    );
  const full = ratio("full");
  console.log(
    `${size + 10} users, sqld / file: full ${show(full)} (target ≤ 1.5: ${full.median <= 1.5 ? "met" : "NOT met"}), no-change ${show(ratio("unchanged"))}, 1 % churn ${show(ratio("churn"))}`,
  );
  return [{ users: size + 10, full, unchanged: ratio("unchanged"), churn: ratio("churn") }];
});

/** Full read vs changes only when every Graph request takes `--graph-latency-ms`. */
let graphLatency: { users: number; latencyMs: number; runs: GraphLatencyRow[] } | null = null;
if (!values["no-graph-latency"]) {
  const users = Number(values["graph-latency-users"] ?? Math.min(Math.max(...SIZES), 100_000));
  const latencyMs = Number(values["graph-latency-ms"]);
  const runs = await benchGraphLatency(users, latencyMs);
  graphLatency = { users: users + 10, latencyMs, runs };
  console.log(`A day's run at ${users + 10} users, ${latencyMs} ms a Graph request:`);
  console.table(runs);
}

/** GET /api/users latency on `database`, idle and while a full sync of the largest size runs. */
async function apiLatency(database: DbKind) {
  const size = Math.max(...SIZES);
  const sim = await spawnSim(size, 999);
  const warm = await measuredRoster(sim, undefined, database);
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
    let due = performance.now();
    for (let i = 0; running; i += 1) {
      const wait = due - performance.now();
      // Behind schedule the next request goes at once, but after the event loop's other
      // work: a request answered through promises alone would otherwise starve the sync.
      if (wait > 0) await Bun.sleep(wait);
      else await new Promise((resolve) => setImmediate(resolve));
      const deepOne = i % 2 === 1;
      await request(deepOne ? deepPath : first);
      times[deepOne ? "deepPage" : "firstPage"].push(performance.now() - due);
      due += 10;
    }
    await finished;
    return { firstPage: stats(times.firstPage), deepPage: stats(times.deepPage) };
  };
  const idleLatency = { firstPage: await idle(first), deepPage: await idle(deepPath) };
  // Another tenant of the same database syncs its directory for the first time...
  const sim2 = await spawnSim(size, 1000);
  const busy = await measuredRoster(sim2, { handle: warm.handle, slug: "busy" });
  const duringFullSync = await during(busy.sync());
  // ...and the measured tenant's own no-change run, reading (and comparing) every user.
  const duringNoChangeSync = await during(warm.sync("full", "full"));
  const measured = { users: size + 10, idle: idleLatency, duringFullSync, duringNoChangeSync };
  console.log(
    `GET /api/users at ${size + 10} users on ${database} (ms): ${JSON.stringify(measured)}`,
  );
  await warm.close();
  sim.stop();
  sim2.stop();
  return measured;
}
const latency: Record<string, unknown> = {};
if (!values["no-latency"])
  for (const database of DATABASES) latency[database] = await apiLatency(database);

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
  `${JSON.stringify({ date: new Date().toISOString(), machine: `${navigator.hardwareConcurrency} cores, Bun ${Bun.version}`, repeat: REPEAT, table, targets, serverRatios, graphLatency, latency, email, raw: results }, null, 2)}\n`,
);
process.exit(0);
