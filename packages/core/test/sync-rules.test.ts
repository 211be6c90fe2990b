import { describe, expect, test } from "bun:test";
import { type ToyDirectory, toyUser } from "@roster/connector-kit/testing";
import { notifications, syncRuns, userAliases, userRoles, users } from "@roster/db";
import { eq } from "drizzle-orm";
import {
  claimRun,
  confirmReview,
  DomainError,
  getRun,
  LEASE_MS,
  notifyRunFinished,
  startRun,
} from "../src/index.ts";
import { UserIndex } from "../src/sync/user-index.ts";
import { addUser, toySync } from "./support.ts";

const directoryOf = (count: number): ToyDirectory => ({
  users: Array.from({ length: count }, (_, i) => toyUser(`u${i}`)),
  groups: [],
  pageSize: 25,
});

async function setup(directory: ToyDirectory, settings: Record<string, unknown> = {}) {
  // These rules are those of a run that reads everything; incremental.test.ts reads changes.
  const env = await toySync(directory, settings, "full");
  const run = (trigger: "manual" | "automatic" = "manual") => env.run(env.deps, trigger);
  const userByExternal = async (externalId: string) =>
    (await env.deps.db.db.select().from(users).where(eq(users.externalId, externalId)))[0];
  return { ...env, run, userByExternal };
}

describe("matching existing users", () => {
  test("without 'Manage existing users' a user with the same email is skipped and untouched", async () => {
    const directory = directoryOf(3);
    const env = await setup(directory);
    const existing = await addUser(env.deps, env.tenantId, { email: "U1@EXAMPLE.COM" });
    const result = await env.run();
    expect(result.counts).toMatchObject({ created: 2, skipped: 1 });
    const [row] = await env.deps.db.db.select().from(users).where(eq(users.id, existing));
    expect(row).toMatchObject({ firstName: "Pre", signIn: "password", connectionId: null });
  });

  test("with it, the user is linked, renamed and signs in through the directory", async () => {
    const env = await setup(directoryOf(3), { manageExistingUsers: true });
    const existing = await addUser(env.deps, env.tenantId, { email: "U1@EXAMPLE.COM" });
    const result = await env.run();
    expect(result.counts).toMatchObject({ created: 2, updated: 1 });
    const [row] = await env.deps.db.db.select().from(users).where(eq(users.id, existing));
    expect(row).toMatchObject({
      firstName: "Givenu1",
      lastName: "Suru1",
      signIn: "microsoft",
      externalId: "u1",
      email: "u1@example.com",
    });
  });

  test("a soft-deleted match is restored with a new PIN", async () => {
    const env = await setup(directoryOf(2));
    const deleted = await addUser(env.deps, env.tenantId, {
      email: "u0@example.com",
      deleted: true,
    });
    const result = await env.run();
    expect(result.counts).toMatchObject({ created: 1, restored: 1 });
    const [row] = await env.deps.db.db.select().from(users).where(eq(users.id, deleted));
    expect(row?.deletedAt).toBeNull();
    expect(row?.pinHash).not.toBeNull();
  });

  test("a disabled account is neither created nor restored", async () => {
    const directory = directoryOf(2);
    directory.users.push(toyUser("off", { enabled: false }));
    const env = await setup(directory);
    await addUser(env.deps, env.tenantId, { email: "off@example.com", deleted: true });
    const result = await env.run();
    expect(result.counts).toMatchObject({ created: 2, skipped: 1, restored: 0 });
  });

  test("a directory change of name and email updates the linked user", async () => {
    const directory = directoryOf(2);
    const env = await setup(directory);
    await env.run();
    directory.users[0] = toyUser("u0", { email: "renamed@example.com", surname: "Renamed" });
    const result = await env.run();
    expect(result.counts).toMatchObject({ updated: 1, unchanged: 1 });
    expect(await env.userByExternal("u0")).toMatchObject({
      email: "renamed@example.com",
      lastName: "Renamed",
    });
  });
});

describe("aliases", () => {
  test("templates mix text and fields; invalid characters are stripped into a second alias", async () => {
    const directory = directoryOf(0);
    directory.users.push(
      toyUser("x", {
        givenName: "John",
        surname: "Doe",
        attributes: { username: "j.doe", department: null },
      }),
    );
    const env = await setup(directory, {
      aliasTemplate: "%GIVENNAME% %surname%;%username%;dep-%department%",
      aliasesWithoutInvalidCharacters: true,
    });
    await env.run();
    const user = await env.userByExternal("x");
    const aliases = await env.deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.userId, user?.id ?? ""));
    expect(aliases.map((alias) => alias.alias)).toEqual(["John Doe", "JohnDoe", "j.doe", "jdoe"]);
  });

  test("users with several aliases are unchanged on the next run, whatever order the database keeps them in", async () => {
    const directory = directoryOf(30);
    const env = await setup(directory, {
      aliasTemplate: "%surname%-%givenName%;%username%;%givenName%.%surname%",
    });
    await env.run();
    const second = await env.run();
    expect(second.counts).toMatchObject({ unchanged: 30, updated: 0 });
  });

  test("the index a run starts from is the same whether read in one query or in many", async () => {
    const env = await setup(directoryOf(45), {
      aliasTemplate: "%surname%-%givenName%;%username%;%givenName%.%surname%",
    });
    await env.run(); // 45 users created in the same millisecond: chunks must split ties by id
    const load = (chunkUsers: number) =>
      UserIndex.load(env.deps.db.client, env.tenantId, env.connection.id, chunkUsers);
    const whole = await load(20_000);
    const chunked = await load(7);
    expect(whole.byEmail.size).toBe(46);
    expect(whole.aliasOwner.size).toBe(135);
    expect([...chunked.byEmail.values()]).toEqual([...whole.byEmail.values()]);
    expect(chunked.aliasOwner).toEqual(whole.aliasOwner);
    expect(chunked.pinHashes).toEqual(whole.pinHashes);
    expect(chunked.byExternalId.size).toBe(45);
  });

  test("an alias held by another user is not taken: a warning, the user still syncs", async () => {
    const directory = directoryOf(2);
    const env = await setup(directory);
    const holder = await addUser(env.deps, env.tenantId, { email: "holder@example.com" });
    await env.deps.db.db
      .insert(userAliases)
      .values({ tenantId: env.tenantId, userId: holder, alias: "U0" });
    const result = await env.run();
    expect(result.counts).toMatchObject({ created: 2, failed: 0 });
    expect(result.warnings).toEqual([
      expect.objectContaining({ externalId: "u0", code: "alias_taken" }),
    ]);
  });
});

describe("storage", () => {
  test("names and aliases with quotes, backslashes, accents and emoji are stored exactly and stay unchanged", async () => {
    const awkward = 'Zoë "Q" O\'Brien \\ 😀 \u2028 end';
    const directory: ToyDirectory = {
      users: [
        toyUser("u0", {
          givenName: awkward,
          surname: "Ñúñez",
          attributes: { username: 'back\\slash"quote' },
        }),
      ],
      groups: [],
      pageSize: 25,
    };
    const env = await setup(directory, { aliasTemplate: "%username%" });
    const first = await env.run();
    expect(first.counts).toMatchObject({ created: 1, failed: 0 });
    const row = await env.userByExternal("u0");
    expect(row).toMatchObject({ firstName: awkward, lastName: "Ñúñez" });
    const aliases = await env.deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.userId, row?.id ?? ""));
    expect(aliases.map((alias) => alias.alias)).toEqual(['back\\slash"quote']);
    const second = await env.run();
    expect(second.counts).toMatchObject({ unchanged: 1, updated: 0 });
  });
});

describe("failures", () => {
  test("a duplicate email inside the directory fails the later user only", async () => {
    const directory = directoryOf(2);
    directory.users.push(toyUser("dup", { email: "U0@example.com" }));
    const env = await setup(directory);
    const result = await env.run();
    expect(result.outcome).toBe("completed_with_errors");
    expect(result.counts).toMatchObject({ created: 2, failed: 1 });
    expect(result.failures).toEqual([
      expect.objectContaining({ externalId: "dup", code: "duplicate_email" }),
    ]);
  });

  test("users the database refuses fail alone; the rest of their transaction is written", async () => {
    const env = await setup(directoryOf(60));
    // The database refuses two rows the rules accepted (as a constraint added later would).
    await env.deps.db.client.execute(`create trigger refuse_two before insert on users
      when new.email in ('u13@example.com', 'u47@example.com')
      begin select raise(abort, 'refused by the database'); end`);
    let transactions = 0;
    const open = env.deps.db.openPageWriter;
    env.deps.db.openPageWriter =
      open &&
      (() => {
        const writer = open();
        return {
          ...writer,
          batch: (statements) => {
            transactions += 1;
            return writer.batch(statements);
          },
        };
      });
    const result = await env.run();
    // Halving a refused chunk finds each bad row in a few transactions, not one per user.
    expect(transactions).toBeLessThan(25);
    expect(result.outcome).toBe("completed_with_errors");
    expect(result.counts).toMatchObject({ created: 58, failed: 2 });
    expect(result.failures.map((failure) => failure.externalId).sort()).toEqual(["u13", "u47"]);
    expect(result.failures[0]).toMatchObject({ code: "database_error" });
    expect(result.failures[0]?.reason).toContain("refused by the database");
    const stored = await env.deps.db.db
      .select()
      .from(users)
      .where(eq(users.tenantId, env.tenantId));
    expect(stored).toHaveLength(59); // the administrator and 58 synced users
    const aliases = await env.deps.db.db.select().from(userAliases);
    expect(aliases).toHaveLength(58); // no alias left without its user
  });
});

describe("deletion", () => {
  test("users the directory no longer returns, or disables, are deleted", async () => {
    const directory = directoryOf(40);
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    directory.users.splice(0, 3);
    directory.users[0] = { ...(directory.users[0] as (typeof directory.users)[0]), enabled: false };
    const result = await env.run();
    expect(result.counts).toMatchObject({ deleted: 4, unchanged: 36 });
    expect((await env.userByExternal("u0"))?.deletedAt).not.toBeNull();
  });

  test("without 'Manage user deletion' nobody is deleted", async () => {
    const directory = directoryOf(10);
    const env = await setup(directory);
    await env.run();
    directory.users.splice(0, 5);
    expect((await env.run()).counts.deleted).toBe(0);
  });

  test("above the limit nobody is deleted until an administrator confirms", async () => {
    const directory = directoryOf(300);
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    directory.users.splice(0, 31); // limit: max(20, 10% of 300) = 30
    const review = await env.run();
    expect(review.outcome).toBe("needs_review");
    expect(review.pendingDeletions).toBe(31);
    expect(review.counts.deleted).toBe(0);
    expect((await env.userByExternal("u0"))?.deletedAt).toBeNull();
    const notified = await env.deps.db.db
      .select()
      .from(notifications)
      .where(eq(notifications.userId, env.adminId));
    expect(notified.map((n) => n.kind)).toContain("user_sync.needs_review");

    const confirmed = await confirmReview(env.ctx, review.id);
    await env.deps.tracker?.idle();
    const after = await getRun(env.ctx, confirmed.id);
    expect(after.outcome).toBe("succeeded");
    expect(after.counts.deleted).toBe(31);
    await expect(confirmReview(env.ctx, after.id)).rejects.toMatchObject({
      code: "not_needs_review",
    });
  });

  test("the last user-sync administrator is never deleted", async () => {
    const directory = directoryOf(3);
    directory.users.push(toyUser("boss"));
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    // The synced boss becomes the tenant's only administrator; then the directory drops it.
    const boss = await env.userByExternal("boss");
    await env.deps.db.db.delete(userRoles).where(eq(userRoles.userId, env.adminId));
    await env.deps.db.db
      .insert(userRoles)
      .values({ userId: boss?.id as string, roleId: env.roleIds.Administrator as string });
    directory.users.pop();
    const result = await env.run();
    expect(result.counts.deleted).toBe(0);
    expect(result.warnings).toEqual([expect.objectContaining({ code: "last_administrator_kept" })]);
    expect((await env.userByExternal("boss"))?.deletedAt).toBeNull();
  });
});

describe("runs", () => {
  test("only one run of a connection at a time; a run whose process died is reaped", async () => {
    const env = await setup(directoryOf(1));
    const input = {
      tenantId: env.tenantId,
      connectionId: env.connection.id,
      trigger: "automatic" as const,
      triggeredBy: null,
    };
    const first = await claimRun(env.deps, input);
    const second = await claimRun(env.deps, input).catch((error) => error);
    expect(second).toBeInstanceOf(DomainError);
    expect(second.code).toBe("sync_in_progress");
    env.clock.advance(LEASE_MS + 1000);
    const third = await claimRun(env.deps, input);
    expect(third).not.toBe(first);
    const reaped = await getRun(env.ctx, first);
    expect(reaped.outcome).toBe("failed");
  });

  test("a manual run tells whoever triggered it; an automatic run without changes tells nobody", async () => {
    const env = await setup(directoryOf(2));
    await env.run("automatic");
    const afterFirst = await env.deps.db.db.select().from(notifications);
    expect(afterFirst.map((n) => n.kind)).toEqual(["user_sync.changes"]);
    await env.run("automatic");
    expect(await env.deps.db.db.select().from(notifications)).toHaveLength(1);
    await env.run("manual");
    const all = await env.deps.db.db.select().from(notifications);
    expect(all.map((n) => n.kind)).toEqual(["user_sync.changes", "user_sync.finished"]);
  });

  test("every user-sync administrator hears about changes once, however often the run is announced", async () => {
    const env = await setup(directoryOf(3));
    const second = await addUser(env.deps, env.tenantId, {
      email: "second@acme.example",
      role: env.roleIds.Administrator,
    });
    const plain = await addUser(env.deps, env.tenantId, {
      email: "plain@acme.example",
      role: env.roleIds.User,
    });
    const run = await env.run("automatic");
    const [row] = await env.deps.db.db.select().from(syncRuns).where(eq(syncRuns.id, run.id));
    await notifyRunFinished(env.deps, row as NonNullable<typeof row>, "again");
    const all = await env.deps.db.db.select().from(notifications);
    expect(all.map((n) => n.userId).sort()).toEqual([env.adminId, second].sort());
    expect(all.some((n) => n.userId === plain)).toBe(false);
  });

  test("shutdown stops taking runs and ends a running one between pages, releasing it", async () => {
    const directory = { ...directoryOf(400), pageSize: 10 };
    const env = await setup(directory);
    const input = {
      tenantId: env.tenantId,
      connectionId: env.connection.id,
      trigger: "manual" as const,
      triggeredBy: env.adminId,
    };
    // Shutdown comes while the run is reading (page 3), however fast the database answers.
    let shutdown: Promise<void> | undefined;
    directory.beforePage = (page) => {
      if (page === 3) shutdown = env.deps.tracker?.shutdown();
    };
    const running = await startRun(env.deps, input);
    while (!shutdown) await Bun.sleep(5);
    await shutdown;
    const ended = await getRun(env.ctx, running.id);
    expect(ended.outcome).toBe("failed");
    expect(ended.error).toContain("aborted");
    await expect(startRun(env.deps, input)).rejects.toMatchObject({ code: "sync_in_progress" });
    // The lease is released: another process may run the connection at once.
    const next = await claimRun({ ...env.deps, tracker: undefined }, input);
    expect(next).toBeString();
  });

  test("no PIN ever reaches the log", async () => {
    const env = await setup(directoryOf(5), { sendPinEmails: true });
    await env.run();
    const log = env.log.lines.join("\n");
    expect(log).toContain("sync finished");
    expect(log).not.toMatch(/\b\d{6}\b/);
  });
});
