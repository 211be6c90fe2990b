import { describe, expect, test } from "bun:test";
import { type ToyDirectory, toyConnector, toyUser } from "@roster/connector-kit/testing";
import { createDb, userAliases, users } from "@roster/db";
import { testDbKind } from "@roster/db/testing";
import { eq } from "drizzle-orm";
import {
  type CoreDeps,
  claimRun,
  connectConnection,
  createConnection,
  executeRun,
  getRun,
  LEASE_MS,
  previewSync,
  systemClock,
  updateConnection,
} from "../src/index.ts";
import { seedTenant, testDeps, toySync } from "./support.ts";

const usersOf = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => toyUser(`${prefix}${i}`));

/** Each run here asks for a full read: these are the rules of a run that reads everything. */
const setup = (directory: ToyDirectory, settings: Record<string, unknown> = {}) =>
  toySync(directory, settings, "full");

describe("the deletion limit counts the users active before the run", () => {
  test("a directory swapped for 1,000 other users deletes none of the 100 without review", async () => {
    const directory: ToyDirectory = { users: usersOf("old", 100), groups: [], pageSize: 250 };
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    directory.users = usersOf("new", 1000);
    const swapped = await env.run();
    // 100 deletions against a limit of max(20, 10 % of 100) — not 10 % of the 1,100 after it.
    expect(swapped.outcome).toBe("needs_review");
    expect(swapped.pendingDeletions).toBe(100);
    expect(swapped.error).toContain("limit of 20");
    expect(await env.activeSynced()).toBe(1100);
  });

  test("a directory that shrinks to half while growing by a third stops for review", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 400), groups: [], pageSize: 100 };
    const env = await setup(directory, {
      manageUserDeletion: true,
      deletionLimit: { percent: 40, minimum: 20 },
    });
    await env.run();
    directory.users = [...usersOf("u", 200), ...usersOf("added", 134)];
    // 200 deletions: over 40 % of the 400 before (160), under 40 % of the 534 after (213).
    const result = await env.run();
    expect(result.outcome).toBe("needs_review");
    expect(result.pendingDeletions).toBe(200);
    expect(await env.activeSynced()).toBe(534);
  });
});

describe("leases", () => {
  test("a reaped run stops writing and never overwrites its outcome", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 50), groups: [], pageSize: 10 };
    const env = await setup(directory);
    // A second engine on the same database file: another process, as far as SQLite knows.
    const other: CoreDeps = {
      ...env.deps,
      db: await createDb({ url: env.url }),
      instanceId: "other",
      tracker: undefined,
    };
    let second: string | null = null;
    directory.beforePage = async (page) => {
      if (page !== 2) return;
      directory.beforePage = undefined;
      // Page 2 is read ahead, while page 1 may still be written, and each write renews the
      // lease from the clock: once page 1 is in, the run writes nothing until page 2 comes.
      while ((await env.activeSynced()) < 10) await Bun.sleep(5);
      // The first run stalls past its lease; the other instance reaps it and starts anew.
      env.clock.advance(LEASE_MS + 1_000);
      second = await claimRun(other, env.input);
      await executeRun(other, second);
    };
    const firstId = await claimRun(env.deps, env.input);
    await executeRun(env.deps, firstId);
    const first = await getRun(env.ctx, firstId);
    expect(first.outcome).toBe("failed");
    expect(first.error).toContain("Taken over");
    expect(second).not.toBeNull();
    const next = await getRun(env.ctx, second as unknown as string);
    expect(next.outcome).toBe("succeeded");
    // Every user once: the reaped run wrote nothing after it lost the lease.
    expect(await env.activeSynced()).toBe(50);
    // The second run accounts for every user: those the first wrote before it lost the
    // lease (page 1's) are unchanged.
    expect(next.counts.unchanged).toBeGreaterThanOrEqual(10);
    expect(next.counts.created + next.counts.unchanged).toBe(50);
  });

  test("the lease is renewed on a timer: a live run waiting on a slow directory is not reaped", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 30), groups: [], pageSize: 10 };
    const env = await setup(directory);
    const deps: CoreDeps = { ...env.deps, clock: systemClock, leaseMs: 300 };
    let claimedMeanwhile: unknown = null;
    directory.beforePage = async (page) => {
      if (page !== 1) return;
      // Three lease lengths without a single write.
      await Bun.sleep(900);
      claimedMeanwhile = await claimRun(deps, env.input).catch((error) => error);
    };
    const result = await env.run(deps);
    expect(claimedMeanwhile).toMatchObject({ code: "sync_in_progress" });
    expect(result.outcome).toBe("succeeded");
    expect(result.counts.created).toBe(30);
  });

  // sqld: a server URL has no writer thread to stop (the main connection writes).
  test.skipIf(testDbKind() === "sqld")(
    "a writer thread that stops mid-run fails the run with a clear reason and releases it",
    async () => {
      const directory: ToyDirectory = { users: usersOf("u", 40), groups: [], pageSize: 10 };
      const env = await setup(directory);
      // Pages are read ahead: the directory holds page 2 back until page 1 is written.
      directory.beforePage = async (page) => {
        if (page !== 2) return;
        while ((await env.activeSynced()) < 10) await Bun.sleep(5);
        env.deps.db.openPageWriter?.().close();
      };
      const result = await env.run();
      expect(result.outcome).toBe("failed");
      expect(result.error).toContain("writer thread stopped");
      // Released: the next run starts, on a fresh writer, and converges.
      directory.beforePage = undefined;
      const next = await env.run();
      expect(next.outcome).toBe("succeeded");
      expect(await env.activeSynced()).toBe(40);
    },
  );
});

describe("tenants never mix", () => {
  test("two tenants with colliding external ids and emails stay apart through create, update and delete", async () => {
    const shared = () => usersOf("u", 20);
    const first: ToyDirectory = { users: shared(), groups: [], pageSize: 7 };
    const second: ToyDirectory = { users: shared(), groups: [], pageSize: 7 };
    const env = await testDeps([toyConnector(first, "toy"), toyConnector(second, "toy2")]);
    const a = await seedTenant(env.deps, "alpha");
    const b = await seedTenant(env.deps, "beta");
    const settings = { manageUserDeletion: true, aliasTemplate: "%username%" };
    const connect = async (ctx: typeof a.ctx, type: string) => {
      const connection = await createConnection(ctx, { type, settings, secret: "s" });
      await connectConnection(ctx, connection.id);
      return connection.id;
    };
    const runs = {
      a: { ctx: a.ctx, connectionId: await connect(a.ctx, "toy"), tenantId: a.tenantId },
      b: { ctx: b.ctx, connectionId: await connect(b.ctx, "toy2"), tenantId: b.tenantId },
    };
    const run = async (which: "a" | "b") => {
      const { ctx, connectionId, tenantId } = runs[which];
      const id = await claimRun(env.deps, {
        tenantId,
        connectionId,
        trigger: "manual",
        triggeredBy: null,
        mode: "full",
      });
      await executeRun(env.deps, id);
      return getRun(ctx, id);
    };
    expect((await run("a")).counts.created).toBe(20);
    expect((await run("b")).counts.created).toBe(20);
    first.users = first.users.slice(5).map((user) => ({ ...user, surname: "Changed" }));
    const changed = await run("a");
    expect(changed.counts).toMatchObject({ updated: 15, deleted: 5 });
    const rowsOf = (tenantId: string) =>
      env.deps.db.db.select().from(users).where(eq(users.tenantId, tenantId));
    const beta = (await rowsOf(b.tenantId)).filter((user) => user.externalId !== null);
    expect(beta).toHaveLength(20);
    expect(beta.every((user) => user.deletedAt === null && user.lastName !== "Changed")).toBe(true);
    const betaAliases = await env.deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.tenantId, b.tenantId));
    expect(betaAliases).toHaveLength(20);
    expect((await run("b")).counts).toMatchObject({ unchanged: 20, updated: 0, deleted: 0 });
  });

  test("an alias row filed under another tenant never reaches this tenant's run", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 3), groups: [], pageSize: 10 };
    const env = await setup(directory, { aliasTemplate: "%username%" });
    await env.run();
    const other = await seedTenant(env.deps, "other");
    const [victim] = await env.deps.db.db.select().from(users).where(eq(users.externalId, "u0"));
    // A stray row (a bug elsewhere, a bad import): the other tenant's, pointing at our user.
    await env.deps.db.db
      .insert(userAliases)
      .values({ tenantId: other.tenantId, userId: victim?.id as string, alias: "stray" });
    const again = await env.run();
    expect(again.counts).toMatchObject({ unchanged: 3, updated: 0 });
    const stray = await env.deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.alias, "stray"));
    expect(stray).toHaveLength(1);
  });
});

describe("preview", () => {
  test("counts and samples the updates that take aliases away, apart from the others", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 12), groups: [], pageSize: 5 };
    const env = await setup(directory, { aliasTemplate: "%username%;%givenName%.%surname%" });
    await env.run();
    directory.users[0] = toyUser("u0", { surname: "Renamed" });
    await updateConnection(env.ctx, env.connection.id, {
      settings: { aliasTemplate: "%username%" },
    });
    const preview = await previewSync(env.ctx, env.connection.id);
    expect(preview.counts).toMatchObject({ updated: 12, unchanged: 0 });
    expect(preview.aliasesRemoved).toBe(12);
    expect(preview.samples.aliasesRemoved).toHaveLength(10);
    expect(preview.samples.aliasesRemoved[0]?.reason).toBe("removes Givenu0.Suru0");
    expect(preview.samples.updated).toEqual([]);
  });
});
