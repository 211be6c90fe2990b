import { describe, expect, test } from "bun:test";
import { type ToyDirectory, toyUser } from "@roster/connector-kit/testing";
import { outbox, syncRunIssues, syncRuns, userAliases, userChanges, users } from "@roster/db";
import { eq } from "drizzle-orm";
import {
  aliasExamples,
  claimRun,
  DomainError,
  explainRunUser,
  listUsers,
  provisionUser,
  searchDirectoryGroups,
  userHistory,
} from "../src/index.ts";
import { compileAliasTemplate } from "../src/rules/aliases.ts";
import { createPlanner } from "../src/rules/plan.ts";
import { createTakeoverGuard } from "../src/rules/takeover.ts";
import { explainDecision } from "../src/runs/explain.ts";
import { UserIndex } from "../src/sync/user-index.ts";
import { addUser, toySync } from "./support.ts";

const directory = (): ToyDirectory => ({
  users: [
    toyUser("u1", { attributes: { username: "ada" } }),
    toyUser("u2", { attributes: { username: "bob" } }),
    toyUser("u3", { attributes: { username: "cy" }, enabled: false }),
  ],
  groups: [
    { externalId: "g-sales", name: "Sales Team", memberIds: ["u1"] },
    { externalId: "g-ops", name: "Operations", memberIds: ["u2"] },
  ],
});

async function setup(toy: ToyDirectory, settings: Record<string, unknown> = {}) {
  const env = await toySync(toy, settings);
  const userOf = async (externalId: string) =>
    (await env.deps.db.db.select().from(users).where(eq(users.externalId, externalId)))[0];
  return { ...env, fullRun: () => env.run(), userOf, toy };
}

describe("explainDecision", () => {
  test("explains without changing the planner's decision", async () => {
    const env = await setup(directory());
    await env.fullRun();
    const toy = directory();
    const changed = toyUser("u1", { surname: "Lovelace", attributes: { username: "ada" } });
    toy.users[0] = changed;
    const decide = async (explain: boolean) => {
      const index = await UserIndex.load(env.deps.db.client, env.tenantId, env.connection.id);
      const options = {
        aliasTemplate: "%username%",
        sendPinEmails: false,
        manageExistingUsers: false,
        allowDisplayName: false,
        aliasesWithoutInvalidCharacters: false,
        manageUserDeletion: false,
        deletionLimit: { percent: 10, minimum: 20 },
        fullSyncEveryDays: 7,
      };
      const aliases = compileAliasTemplate(options.aliasTemplate, false);
      const planner = createPlanner({
        index,
        connectionId: env.connection.id,
        options,
        aliases,
        newPin: () => ({ pin: "123456", hash: "h" }),
        takeover: createTakeoverGuard({
          confirmed: new Set(),
          excluded: new Set(),
          administrators: [],
        }),
      });
      return explain
        ? explainDecision({
            planner,
            index,
            aliases,
            connectionId: env.connection.id,
            user: changed,
          }).decision
        : planner.plan(changed);
    };
    const plain = await decide(false);
    const explained = await decide(true);
    expect(explained.action.kind).toBe(plain.action.kind);
    expect(JSON.stringify(explained)).toBe(JSON.stringify(plain));
  });
});

describe("provision on demand", () => {
  test("creates one user through a run of trigger provision, with its history and aliases", async () => {
    const env = await setup(directory(), { sendPinEmails: true });
    const result = await provisionUser(env.ctx, env.connection.id, { externalId: "u1" });
    expect(result.explanation).toMatchObject({
      action: "create",
      inScope: true,
      match: { by: "none", userId: null },
      rule: { code: "create" },
      aliases: { wanted: ["ada"], granted: ["ada"], refused: [] },
    });
    expect(result.explanation.changes).toContainEqual({
      field: "email",
      before: null,
      after: "u1@example.com",
    });
    expect(result.run).toMatchObject({ trigger: "provision", outcome: "succeeded" });
    expect(result.run?.counts).toMatchObject({ created: 1, updated: 0, deleted: 0 });
    const user = await env.userOf("u1");
    expect(user?.connectionId).toBe(env.connection.id);
    expect(await env.userOf("u2")).toBeUndefined();
    const aliases = await env.deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.userId, user?.id ?? ""));
    expect(aliases.map((row) => row.alias)).toEqual(["ada"]);
    // The normal machinery: the welcome email is queued for the run, the change is recorded.
    const emails = await env.deps.db.db
      .select()
      .from(outbox)
      .where(eq(outbox.runId, result.run?.id ?? ""));
    expect(emails).toHaveLength(1);
    const history = await userHistory(env.ctx, user?.id as string);
    expect(history.changes).toEqual([
      expect.objectContaining({ runId: result.run?.id, kind: "created", trigger: "provision" }),
    ]);
    // The lease is released: a full run can start right after.
    const [run] = await env.deps.db.db
      .select()
      .from(syncRuns)
      .where(eq(syncRuns.id, result.run?.id ?? ""));
    expect(run?.leaseOwner).toBeNull();
    expect((await env.fullRun()).counts).toMatchObject({ created: 1, unchanged: 1 });
  });

  test("by email it matches the linked user and lists each attribute before and after", async () => {
    const env = await setup(directory());
    await env.fullRun();
    env.toy.users[0] = toyUser("u1", { surname: "Lovelace", attributes: { username: "ada.l" } });
    const result = await provisionUser(env.ctx, env.connection.id, { email: "U1@example.com" });
    expect(result.explanation.match.by).toBe("directory_id");
    expect(result.explanation.action).toBe("update");
    expect(result.explanation.changes).toEqual([
      { field: "lastName", before: "Suru1", after: "Lovelace" },
      { field: "aliases", before: "ada", after: "ada.l" },
    ]);
    expect(result.explanation.aliases.removed).toEqual(["ada"]);
    expect((await env.userOf("u1"))?.lastName).toBe("Lovelace");
  });

  test("an alias another user holds is refused and named; dry run writes nothing", async () => {
    const env = await setup(directory(), { manageExistingUsers: true });
    const holder = await addUser(env.deps, env.tenantId, { email: "holder@acme.example" });
    await env.deps.db.db
      .insert(userAliases)
      .values({ tenantId: env.tenantId, userId: holder, alias: "ada" });
    const dry = await provisionUser(
      env.ctx,
      env.connection.id,
      { externalId: "u1" },
      { dryRun: true },
    );
    expect(dry.run).toBeNull();
    expect(dry.explanation.aliases.refused).toEqual([
      { alias: "ada", ownerId: holder, ownerEmail: "holder@acme.example" },
    ]);
    expect(await env.userOf("u1")).toBeUndefined();
    expect(await env.deps.db.db.select().from(syncRuns)).toHaveLength(0);
  });

  test("an existing application user is matched by email, and left alone without Manage existing users", async () => {
    const env = await setup(directory());
    const existing = await addUser(env.deps, env.tenantId, { email: "u2@example.com" });
    const result = await provisionUser(env.ctx, env.connection.id, { externalId: "u2" });
    expect(result.explanation).toMatchObject({
      action: "skipped",
      match: { by: "email", userId: existing },
      rule: { code: "not_managed" },
    });
    expect(result.run?.counts.skipped).toBe(1);
  });

  test("a disabled account, a user out of scope, and an unknown user", async () => {
    const env = await setup(directory(), { users: "selectedGroups", groupIds: ["g-sales"] });
    const outside = await provisionUser(env.ctx, env.connection.id, { externalId: "u2" });
    expect(outside).toMatchObject({
      run: null,
      explanation: { inScope: false, rule: { code: "out_of_scope" } },
    });
    expect(await env.userOf("u2")).toBeUndefined();
    const missing = provisionUser(env.ctx, env.connection.id, { email: "nobody@example.com" });
    await expect(missing).rejects.toMatchObject({ code: "not_found" });
    const both = provisionUser(env.ctx, env.connection.id, {
      externalId: "u1",
      email: "u1@example.com",
    });
    await expect(both).rejects.toBeInstanceOf(DomainError);

    const all = await setup(directory());
    const disabled = await provisionUser(all.ctx, all.connection.id, { externalId: "u3" });
    expect(disabled.explanation).toMatchObject({ action: "skipped", rule: { code: "disabled" } });
  });

  test("a failing user is recorded on its run like in a full run", async () => {
    const toy = directory();
    toy.users.push(toyUser("u4", { email: null }));
    const env = await setup(toy);
    const result = await provisionUser(env.ctx, env.connection.id, { externalId: "u4" });
    expect(result.explanation).toMatchObject({ action: "failed", failure: { code: "no_email" } });
    expect(result.run?.outcome).toBe("completed_with_errors");
    const issues = await env.deps.db.db
      .select()
      .from(syncRunIssues)
      .where(eq(syncRunIssues.runId, result.run?.id ?? ""));
    expect(issues.map((issue) => issue.code)).toEqual(["no_email"]);
  });

  test("refuses to overlap a running sync", async () => {
    const env = await setup(directory());
    await claimRun(env.deps, {
      tenantId: env.tenantId,
      connectionId: env.connection.id,
      trigger: "manual",
      triggeredBy: null,
    });
    await expect(
      provisionUser(env.ctx, env.connection.id, { externalId: "u1" }),
    ).rejects.toMatchObject({
      code: "sync_in_progress",
    });
  });
});

describe("a run's user explained", () => {
  test("what the run recorded and how it is decided now", async () => {
    const env = await setup(directory());
    const run = await env.fullRun();
    const explained = await explainRunUser(env.ctx, run.id, "u1");
    expect(explained.recorded.changes).toEqual([expect.objectContaining({ kind: "created" })]);
    expect(explained.now).toMatchObject({ action: "unchanged", match: { by: "directory_id" } });
    await expect(explainRunUser(env.ctx, run.id, undefined)).rejects.toMatchObject({
      code: "validation_failed",
    });
  });
});

describe("directory tools", () => {
  test("group search by a word of the name; alias examples from real users", async () => {
    const env = await setup(directory());
    const found = await searchDirectoryGroups(env.ctx, env.connection.id, "tea");
    expect(found.items).toEqual([{ externalId: "g-sales", name: "Sales Team", detail: null }]);
    const examples = await aliasExamples(env.ctx, env.connection.id, "%username%-x;%givenName%");
    expect(examples.examples.map((example) => example.aliases)).toEqual([
      ["ada-x", "Givenu1"],
      ["bob-x", "Givenu2"],
    ]);
    await expect(aliasExamples(env.ctx, env.connection.id, "%username")).rejects.toMatchObject({
      code: "validation_failed",
      message: 'The alias pattern "%username" has a % without its closing %.',
    });
  });

  test("users list: total, filters and sorting by name with cursors", async () => {
    const env = await setup(directory());
    await env.fullRun();
    await addUser(env.deps, env.tenantId, { email: "local@acme.example" });
    const all = await listUsers(env.ctx, { limit: 2, sort: "email" });
    expect(all.total).toBe(4);
    const second = await listUsers(env.ctx, {
      limit: 2,
      sort: "email",
      cursor: all.nextCursor as string,
    });
    expect([...all.items, ...second.items].map((user) => user.email)).toEqual([
      "admin@acme.example",
      "local@acme.example",
      "u1@example.com",
      "u2@example.com",
    ]);
    const synced = await listUsers(env.ctx, { limit: 10, source: env.connection.id });
    expect(synced.total).toBe(2);
    const local = await listUsers(env.ctx, {
      limit: 10,
      source: "application",
      signIn: "password",
    });
    expect(local.total).toBe(2);
    const desc = await listUsers(env.ctx, { limit: 10, sort: "email", order: "desc" });
    expect(desc.items[0]?.email).toBe("u2@example.com");
    await env.deps.db.db
      .update(users)
      .set({ deletedAt: new Date() })
      .where(eq(users.externalId, "u2"));
    expect(
      (await listUsers(env.ctx, { limit: 10, deleted: "only" })).items.map((u) => u.externalId),
    ).toEqual(["u2"]);
    expect((await listUsers(env.ctx, { limit: 10 })).total).toBe(3);
    expect((await listUsers(env.ctx, { limit: 10, deleted: "include" })).total).toBe(4);
  });

  test("a deletion is recorded in the user's history", async () => {
    const toy = directory();
    const env = await setup(toy, {
      manageUserDeletion: true,
      deletionLimit: { percent: 100, minimum: 5 },
    });
    await env.fullRun();
    toy.users = toy.users.filter((user) => user.externalId !== "u2");
    await env.fullRun();
    const gone = await env.userOf("u2");
    const changes = await env.deps.db.db
      .select()
      .from(userChanges)
      .where(eq(userChanges.userId, gone?.id ?? ""));
    expect(changes.map((change) => change.kind).sort()).toEqual(["created", "deleted"]);
  });
});
