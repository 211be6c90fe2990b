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
