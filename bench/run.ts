/**
 * `bun run bench [-- --users 100000]`: measures a full sync from the Entra simulator into a
 * fresh libSQL file — time, throughput, peak memory, API latency while it runs — then an
 * unchanged second run, and the directory read alone (what the simulator + connector cost).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "@roster/api";
import { entraId } from "@roster/connector-entra-id";
import { createRegistry } from "@roster/connector-kit";
import {
  claimRun,
  connectConnection,
  createConnection,
  createKeyring,
  createLogger,
  createTenant,
  executeRun,
  getRun,
  parseSecretKey,
  RunTracker,
  systemClock,
} from "@roster/core";
import { createDb, migrateDb } from "@roster/db";
import { createEmailTransport } from "@roster/email";
import { generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";

const { values } = parseArgs({ options: { users: { type: "string", default: "100000" } } });
const USERS = Number(values.users);

const directory = new SimDirectory();
const entra = generateTenant(directory, { users: USERS, seed: 42 });
const sim = await startEntraSim({ directory });
const dir = mkdtempSync(join(tmpdir(), "roster-bench-"));
const db = await createDb({ url: `file:${join(dir, "bench.db")}` });
await migrateDb(db.db);
const connector = entraId({ authorityHost: sim.url, graphBaseUrl: sim.url });
const deps = {
  db,
  clock: systemClock,
  log: createLogger({ level: "warn" }),
  keyring: createKeyring(parseSecretKey(Buffer.alloc(32, 9).toString("base64"))),
  connectors: createRegistry([connector]),
  email: createEmailTransport({}),
  tracker: new RunTracker(),
};
const { tenant, admin } = await createTenant(deps, {
  slug: "bench",
  name: "Bench",
  admin: { email: "admin@bench.test", password: "bench-password", firstName: "B", lastName: "A" },
});
const ctx = { ...deps, tenantId: tenant.id, actor: { kind: "user" as const, userId: admin.id } };
const settings = {
  applicationId: entra.clientId,
  directoryId: entra.tenantId,
  aliasTemplate: "%onPremisesSamAccountName%;%givenName%.%surname%",
  sendPinEmails: true,
  manageUserDeletion: true,
};
const connection = await createConnection(ctx, {
  type: "entra-id",
  settings,
  secret: entra.secret,
});
await connectConnection(ctx, connection.id);
const app = createApp({ deps, localOutbox: true });

/** Samples RSS and the API's /health latency every 25 ms while `work` runs. */
async function measure<T>(work: () => Promise<T>) {
  let peakRss = process.memoryUsage().rss;
  let maxLatency = 0;
  const latencies: number[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      const started = performance.now();
      await app.request("/health");
      const latency = performance.now() - started;
      latencies.push(latency);
      maxLatency = Math.max(maxLatency, latency);
      await Bun.sleep(25);
    }
  })();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  running = false;
  await sampler;
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)] ?? 0;
  return {
    result,
    seconds,
    peakRssMb: peakRss / 2 ** 20,
    maxLatencyMs: maxLatency,
    p99LatencyMs: p99,
  };
}

const runOnce = () =>
  measure(async () => {
    const runId = await claimRun(deps, {
      tenantId: tenant.id,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: admin.id,
    });
    await executeRun(deps, runId);
    return getRun(ctx, runId);
  });

const log = { debug() {}, info() {}, warn() {}, error() {} };
const readOnly = await measure(async () => {
  let count = 0;
  for await (const page of connector.readUsers({
    settings: connector.settings.parse(settings),
    secret: entra.secret,
    log,
    fields: ["onPremisesSamAccountName", "givenName", "surname"],
  })) {
    count += page.length;
  }
  return count;
});
const first = await runOnce();
const second = await runOnce();

const row = (
  name: string,
  m: Awaited<ReturnType<typeof runOnce>> | typeof readOnly,
  users: number,
) => ({
  step: name,
  seconds: Number(m.seconds.toFixed(2)),
  usersPerSecond: Math.round(users / m.seconds),
  peakRssMb: Math.round(m.peakRssMb),
  apiP99Ms: Number(m.p99LatencyMs.toFixed(1)),
  apiMaxMs: Number(m.maxLatencyMs.toFixed(1)),
});
const total = USERS + 10;
const results = {
  date: new Date().toISOString(),
  users: total,
  machine: `${process.platform} ${process.arch}, Bun ${Bun.version}`,
  steps: [
    row("directory read only (simulator + connector)", readOnly, total),
    row("first sync (create all)", first, total),
    row("second sync (unchanged)", second, total),
  ],
  counts: { first: first.result.counts, second: second.result.counts },
  ratios: {
    firstSyncOverRead: Number((first.seconds / readOnly.seconds).toFixed(2)),
    secondOverFirst: Number((second.seconds / first.seconds).toFixed(2)),
  },
  graphRequests: sim.counts.graph,
};
console.table(results.steps);
console.log(
  JSON.stringify(
    { counts: results.counts, ratios: results.ratios, graphRequests: results.graphRequests },
    null,
    2,
  ),
);
mkdirSync(join(import.meta.dir, "results"), { recursive: true });
writeFileSync(
  join(import.meta.dir, "results", `sync-${total}.json`),
  `${JSON.stringify(results, null, 2)}\n`,
);
await sim.stop();
db.close();
process.exit(0);
