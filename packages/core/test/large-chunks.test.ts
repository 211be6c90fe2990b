import { expect, test } from "bun:test";
import { toyConnector, toyUser } from "@roster/connector-kit/testing";
import { testDbKind } from "@roster/db/testing";
import { claimRun, connectConnection, createConnection, executeRun, getRun } from "../src/index.ts";
import { seedTenant, testDeps } from "./support.ts";

// One page of 6,000 users with 250-character names and welcome emails: a single chunk whose
// users JSON alone is over 5 MB, the most sqld accepts in one bound value.
test(`a chunk whose JSON exceeds sqld's 5 MB bound-value limit is written whole, without narrowing (${testDbKind()})`, async () => {
  const long = "n".repeat(250);
  const users = Array.from({ length: 6_000 }, (_, i) =>
    toyUser(`u${i}`, { givenName: `${long}${i}`, surname: `${long}${i}` }),
  );
  const env = await testDeps([toyConnector({ users, groups: [], pageSize: 6_000 })]);
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, {
    type: "toy",
    settings: { sendPinEmails: true },
    secret: "s",
  });
  await connectConnection(tenant.ctx, connection.id);
  const runId = await claimRun(env.deps, {
    tenantId: tenant.tenantId,
    connectionId: connection.id,
    trigger: "manual",
    triggeredBy: tenant.adminId,
  });
  await executeRun(env.deps, runId);
  const run = await getRun(tenant.ctx, runId);
  expect([run.outcome, run.counts.created, run.counts.failed]).toEqual(["succeeded", 6_000, 0]);
  expect(env.log.lines.some((line) => line.includes("narrowing"))).toBe(false);
}, 60_000);

// sqld ends a transaction that holds the write lock for over 5 s: a 25,000-user chunk goes
// in several transactions, the first of 5,000 users, each later one sized by the pace of the
// one before (at most doubled), each user's rows in one of them.
test.skipIf(testDbKind() !== "sqld")(
  "on a server URL a large chunk is written in transactions that start at 5,000 users and grow with the pace",
  async () => {
    const users = Array.from({ length: 25_000 }, (_, i) => toyUser(`u${i}`));
    const env = await testDeps([toyConnector({ users, groups: [], pageSize: 25_000 })]);
    const batches: string[][] = [];
    const client = env.deps.db.client;
    const counting = new Proxy(client, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        if (key !== "batch") return typeof value === "function" ? value.bind(target) : value;
        return (statements: Array<string | { sql: string }>, mode?: "write") => {
          batches.push(statements.map((s) => (typeof s === "string" ? s : s.sql)));
          return target.batch(statements as never, mode);
        };
      },
    });
    env.deps.db = { ...env.deps.db, client: counting };
    const tenant = await seedTenant(env.deps);
    const connection = await createConnection(tenant.ctx, {
      type: "toy",
      settings: {},
      secret: "s",
    });
    await connectConnection(tenant.ctx, connection.id);
    const runId = await claimRun(env.deps, {
      tenantId: tenant.tenantId,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: tenant.adminId,
    });
    await executeRun(env.deps, runId);
    const run = await getRun(tenant.ctx, runId);
    expect([run.outcome, run.counts.created]).toEqual(["succeeded", 25_000]);
    const userInserts = batches.map(
      (sqls) => sqls.filter((sql) => /^insert into "?users"?/i.test(sql.trim())).length,
    );
    // 1,000 users per statement; 5,000 in the first transaction.
    const sizes = userInserts.filter((n) => n > 0);
    expect(sizes[0]).toBe(5);
    expect(sizes.length).toBeGreaterThan(1);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(25);
    const doubled = sizes.slice(1).filter((n, i) => n > 2 * (sizes[i] as number));
    expect(doubled).toEqual([]);
  },
  120_000,
);
