import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { entraId } from "@roster/connector-entra-id";
import { connections, userRoles, users } from "@roster/db";
import {
  churnDay,
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  type SimTenant,
  startEntraSim,
} from "@roster/entra-sim";
import { and, eq, isNull } from "drizzle-orm";
import fc from "fast-check";
import {
  claimRun,
  confirmReview,
  connectConnection,
  createConnection,
  executeRun,
  getRun,
  previewSync,
  updateConnection,
} from "../src/index.ts";
import { seedTenant, testDeps } from "./support.ts";

/** Runs that read only what changed (Graph delta), against the simulator with the real SDKs. */
const simDirectory = new SimDirectory();
let sim: EntraSim;
let seed = 100;
/** Set by a test: the next delta page after the first answers 503 until cleared (a cut-off round). */
let failAfterFirstDeltaPage = false;
beforeAll(async () => {
  sim = await startEntraSim({
    directory: simDirectory,
    onGraphRequest: (url) => {
      if (
        failAfterFirstDeltaPage &&
        url.pathname.endsWith("/delta") &&
        url.search.includes("skiptoken")
      )
        sim.setFaults({ fail: { count: 1_000, status: 503 } });
    },
  });
});
afterAll(() => sim.stop());

async function setup(
  settings: Record<string, unknown> = {},
  size = 120,
  scope: (generated: GeneratedTenant) => Record<string, unknown> = () => ({}),
) {
  seed += 1;
  const generated = generateTenant(simDirectory, { users: size, seed });
  const tenant = simDirectory.find(generated.tenantId) as SimTenant;
  const connector = entraId({
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    retry: { delaySeconds: 0, maxRetries: 1 },
    pageRetryDelayMs: 1,
  });
  const env = await testDeps([connector]);
  const roster = await seedTenant(env.deps);
  const connection = await createConnection(roster.ctx, {
    type: "entra-id",
    settings: {
      applicationId: generated.clientId,
      directoryId: generated.tenantId,
      allowDisplayName: true,
      ...settings,
      ...scope(generated),
    },
    secret: generated.secret,
  });
  await connectConnection(roster.ctx, connection.id);
  const run = async (mode?: "full" | "incremental") => {
    const runId = await claimRun(env.deps, {
      tenantId: roster.tenantId,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: roster.adminId,
      mode,
    });
    await executeRun(env.deps, runId);
    return getRun(roster.ctx, runId);
  };
  const synced = async () =>
    (
      await env.deps.db.db
        .select()
        .from(users)
        .where(and(eq(users.connectionId, connection.id), isNull(users.deletedAt)))
    )
      .map((user) => `${user.externalId}|${user.email}|${user.firstName}|${user.lastName}`)
      .sort();
  const byExternal = async (externalId: string) =>
    (await env.deps.db.db.select().from(users).where(eq(users.externalId, externalId)))[0];
  const cursorOf = async () =>
    (await env.deps.db.db.select().from(connections).where(eq(connections.id, connection.id)))[0];
  return { ...env, ...roster, connection, generated, tenant, run, synced, byExternal, cursorOf };
}

describe("incremental runs", () => {
  test("the first run reads everything and keeps a cursor; a quiet day reads only changes and changes nothing", async () => {
    const env = await setup();
    const first = await env.run();
    // The generated directory has users that fail by design (no email, a duplicate, no names).
    expect(first).toMatchObject({
      outcome: "completed_with_errors",
      mode: "full",
      fullReason: "first_run",
    });
    expect((await env.cursorOf())?.deltaCursorCiphertext).toBeString();
    const before = await env.synced();
    const quiet = await env.run();
    expect(quiet).toMatchObject({ outcome: "succeeded", mode: "incremental", fullReason: null });
    expect(quiet.failures).toEqual([]);
    expect(quiet.counts).toMatchObject({ created: 0, updated: 0, deleted: 0, unchanged: 0 });
    expect(await env.synced()).toEqual(before);
  });

  test("create, update, restore, disabled → deleted, soft- and hard-deleted → deleted", async () => {
    const env = await setup({ manageUserDeletion: true });
    await env.run();
    const live = env.tenant.sortedUsers().filter((user) => user.accountEnabled && user.mail);
    const [renamed, disabled, soft, hard, back] = live;
    if (!renamed || !disabled || !soft || !hard || !back) throw new Error("directory too small");
    env.tenant.upsertUser({ ...renamed, surname: "Changed" });
    env.tenant.upsertUser({ ...disabled, accountEnabled: false });
    env.tenant.deleteUsers([soft.id]);
    env.tenant.deleteUsers([hard.id], { permanently: true });
    env.tenant.deleteUsers([back.id]);
    env.tenant.upsertUser({
      ...renamed,
      id: "aaaaaaaa-0000-4000-8000-000000000001",
      mail: `fresh@${env.generated.domain}`,
      userPrincipalName: `fresh@${env.generated.domain}`,
      surname: "Fresh",
    });
    const removal = await env.run();
    expect(removal).toMatchObject({ outcome: "succeeded", mode: "incremental" });
    expect(removal.counts).toMatchObject({ created: 1, updated: 1, deleted: 4 });
    expect((await env.byExternal(renamed.id))?.lastName).toBe("Changed");
    for (const gone of [disabled, soft, hard, back])
      expect((await env.byExternal(gone.id))?.deletedAt).not.toBeNull();
    // Restored in Entra within 30 days: the same object comes back and so does the user.
    env.tenant.restoreUser(back.id);
    const restored = await env.run();
    expect(restored.counts).toMatchObject({ restored: 1, deleted: 0 });
    expect((await env.byExternal(back.id))?.deletedAt).toBeNull();
  });

  test("the deletion limit is a share of the users before the run; a confirmed review deletes what it listed", async () => {
    const env = await setup({ manageUserDeletion: true }, 150);
    await env.run();
    const victims = (await env.synced()).slice(0, 40).map((row) => row.split("|")[0] as string);
    env.tenant.deleteUsers(victims);
    const review = await env.run();
    expect(review).toMatchObject({
      outcome: "needs_review",
      mode: "incremental",
      pendingDeletions: 40,
    });
    // Not kept: the confirmation sees the same changes again.
    const confirmed = await env.run();
    expect(confirmed.outcome).toBe("needs_review");
    const runId = (await confirmReview(env.ctx, confirmed.id)).id;
    await env.deps.tracker?.idle();
    const done = await getRun(env.ctx, runId);
    expect(done).toMatchObject({ mode: "incremental", deletionLimitLifted: true });
    expect(done.counts.deleted).toBe(40);
  });

  test("the last user-sync administrator is never deleted by a run reading changes", async () => {
    const env = await setup({ manageUserDeletion: true });
    await env.run();
    const boss = env.tenant.sortedUsers().find((user) => user.accountEnabled && user.mail);
    const bossRow = await env.byExternal(boss?.id as string);
    await env.deps.db.db.delete(userRoles).where(eq(userRoles.userId, env.adminId));
    await env.deps.db.db
      .insert(userRoles)
      .values({ userId: bossRow?.id as string, roleId: env.roleIds.Administrator as string });
    env.tenant.deleteUsers([boss?.id as string]);
    const result = await env.run();
    expect(result.counts.deleted).toBe(0);
    expect(result.warnings).toEqual([expect.objectContaining({ code: "last_administrator_kept" })]);
  });

  test("a token the directory expired, or a reset, leads to a full run that says why", async () => {
    const env = await setup();
    await env.run();
    // Graph keeps change tracking 7 days; Roster's clock says one day passed, Graph's eight.
    simDirectory.advanceClock(8 * 24 * 60 * 60 * 1000);
    const expired = await env.run();
    expect(expired).toMatchObject({
      mode: "full",
      fullReason: "cursor_expired",
    });
    env.tenant.syncResetAt = env.tenant.now() + 1;
    const reset = await env.run();
    expect(reset).toMatchObject({ mode: "full", fullReason: "directory_reset" });
    expect((await env.run()).mode).toBe("incremental");
  });

  test("a cursor older than 6 days, a settings change, a request and the weekly reconciliation read everything", async () => {
    const env = await setup({ fullSyncEveryDays: 7 });
    await env.run();
    env.clock.advance(6 * 24 * 60 * 60 * 1000 + 1);
    expect(await env.run()).toMatchObject({ mode: "full", fullReason: "cursor_expired" });
    await updateConnection(env.ctx, env.connection.id, {
      settings: { ...env.connection.settings, allowDisplayName: false },
    });
    await connectConnection(env.ctx, env.connection.id);
    expect((await env.cursorOf())?.deltaCursorCiphertext).toBeNull();
    expect(await env.run()).toMatchObject({ mode: "full", fullReason: "settings_changed" });
    expect(await env.run("full")).toMatchObject({ mode: "full", fullReason: "requested" });
    env.clock.advance(7 * 24 * 60 * 60 * 1000);
    // The cursor is fresh (a run just kept it), but the last full run is a week old.
    expect((await env.run()).mode).toBe("full");
  });

  test("a run stopped mid-round keeps the old cursor: the next run repeats the round, nothing lost or doubled", async () => {
    const env = await setup(
      { manageUserDeletion: true, deletionLimit: { percent: 100, minimum: 0 } },
      400,
    );
    await env.run();
    const kept = (await env.cursorOf())?.deltaCursorCiphertext;
    churnDay(env.tenant, { percent: 30, seed: 3 });
    failAfterFirstDeltaPage = true;
    const failed = await env.run();
    failAfterFirstDeltaPage = false;
    sim.setFaults({});

    expect(failed).toMatchObject({ outcome: "failed", mode: "incremental" });
    expect((await env.cursorOf())?.deltaCursorCiphertext).toBe(kept as string);
    const repeated = await env.run();
    expect(repeated).toMatchObject({ mode: "incremental" });
    expect(repeated.outcome).not.toBe("failed");
    const full = await env.run("full");
    expect(full.counts).toMatchObject({ created: 0, updated: 0, deleted: 0, restored: 0 });
  });

  test("a preview reads the changes without keeping the cursor", async () => {
    const env = await setup();
    await env.run();
    const kept = (await env.cursorOf())?.deltaCursorCiphertext;
    churnDay(env.tenant, { percent: 5, seed: 9 });
    const preview = await previewSync(env.ctx, env.connection.id);
    expect(preview.counts.created).toBeGreaterThan(0);
    expect((await env.cursorOf())?.deltaCursorCiphertext).toBe(kept as string);
    expect((await env.run()).counts.created).toBe(preview.counts.created);
  });

  test("nested groups: a user joining a nested group is created, one leaving the scope is deleted", async () => {
    const env = await setup({ manageUserDeletion: true }, 120, (generated) => ({
      users: "selectedGroups",
      groups: { mode: "selected", ids: [generated.groups.nestedRoot] },
    }));
    const groups = env.generated.groups;
    await env.run();
    // Somebody outside every group, added to the group nested two levels down.
    const template = env.tenant.transitiveMembers(groups.nestedGrandchild).users[1];
    if (!template) throw new Error("no nested member");
    const outsider = {
      ...template,
      id: "bbbbbbbb-0000-4000-8000-000000000001",
      mail: `joiner@${env.generated.domain}`,
      userPrincipalName: `joiner@${env.generated.domain}`,
      memberOf: [],
    };
    env.tenant.upsertUser(outsider);
    expect((await env.run()).counts.created).toBe(0);
    const member = env.tenant.transitiveMembers(groups.nestedGrandchild).users[0];
    if (!outsider || !member) throw new Error("no outsider or nested member");
    env.tenant.addMember(groups.nestedGrandchild, outsider.id);
    for (const groupId of [groups.nestedRoot, groups.nestedChild, groups.nestedGrandchild])
      env.tenant.removeMember(groupId, member.id);
    const changed = await env.run();
    expect(changed).toMatchObject({ outcome: "succeeded", mode: "incremental" });
    expect(changed.counts.created).toBe(1);
    expect((await env.byExternal(outsider.id))?.deletedAt).toBeNull();
    const left = await env.byExternal(member.id);
    const stillIn = env.tenant
      .transitiveMembers(groups.nestedRoot)
      .users.some((user) => user.id === member.id);
    expect(left?.deletedAt === null).toBe(stillIn);
  });
});

describe("incremental runs converge", () => {
  test("any sequence of churn days, synced by changes, ends where a full sync of the final directory does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            percent: fc.integer({ min: 1, max: 8 }),
            seed: fc.integer({ min: 1, max: 10_000 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
        async (days) => {
          const env = await setup(
            { manageUserDeletion: true, deletionLimit: { percent: 100, minimum: 0 } },
            80,
          );
          await env.run();
          for (const day of days) {
            churnDay(env.tenant, { ...day, mix: "all" });
            const run = await env.run();
            expect(["succeeded", "completed_with_errors"]).toContain(run.outcome);
            // Changes only, unless they freed an email a user had failed for (then everything).
            expect(run.fullReason ?? "incremental").toBeOneOf([
              "incremental",
              "email_conflict_freed",
            ]);
          }
          const incremental = await env.synced();
          const full = await env.run("full");
          expect(full.counts).toMatchObject({ created: 0, updated: 0, deleted: 0, restored: 0 });
          expect(await env.synced()).toEqual(incremental);
        },
      ),
      { numRuns: 12 },
    );
  }, 120_000);
});
