import { describe, expect, test } from "bun:test";
import { type ToyDirectory, toyConnector, toyUser } from "@roster/connector-kit/testing";
import { createDb, syncRuns, users } from "@roster/db";
import { eq, isNotNull } from "drizzle-orm";
import {
  cancelPreview,
  cancelRun,
  claimRun,
  connectConnection,
  createConnection,
  csvField,
  DomainError,
  executeRun,
  exportRunIssues,
  getPreview,
  getRun,
  latestPreview,
  listRunIssues,
  previewConnection,
  progressWriter,
  RunTracker,
  restoreUser,
  runProgressStatement,
  runTitle,
  startRun,
  synchronize,
} from "../src/index.ts";
import { CancelledError } from "../src/runs/progress-writer.ts";
import { seedTenant, testDeps, toySync } from "./support.ts";

const usersOf = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => toyUser(`${prefix}${i}`));

async function setup(directory: ToyDirectory, settings: Record<string, unknown> = {}) {
  const env = await toySync(directory, settings);
  const rowOf = async (runId: string) =>
    (await env.deps.db.db.select().from(syncRuns).where(eq(syncRuns.id, runId)))[0];
  return { ...env, rowOf };
}

const until = async (check: () => Promise<boolean>, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await Bun.sleep(20);
  }
};

describe("live progress", () => {
  test("a running run's row shows its phase, pages and users read, and counts; the last value stays", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 50), groups: [], pageSize: 10 };
    const env = await setup(directory);
    const seen: unknown[] = [];
    let runId = "";
    directory.beforePage = async (page) => {
      if (page === 4) {
        // Progress is written at most every second: wait for it, as a poller would.
        await Bun.sleep(1100);
        await until(async () => ((await env.rowOf(runId))?.progress?.pagesRead ?? 0) >= 1);
        seen.push((await env.rowOf(runId))?.progress);
      }
    };
    runId = await claimRun(env.deps, env.input);
    await executeRun(env.deps, runId);
    const during = seen[0] as { phase: string; pagesRead: number; usersRead: number };
    expect(during.phase).toBe("reading");
    expect(during.pagesRead).toBeGreaterThanOrEqual(1);
    expect(during.usersRead).toBe(during.pagesRead * 10);
    const done = await getRun(env.ctx, runId);
    expect(done.outcome).toBe("succeeded");
    expect(done.progress).toMatchObject({ pagesRead: 5, usersRead: 50, counts: { created: 50 } });
  });

  test("progress is written at most once a second, and at every phase change", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 5), groups: [] };
    const env = await setup(directory);
    const runId = await claimRun(env.deps, env.input);
    const [row] = await env.deps.db.db.select().from(syncRuns).where(eq(syncRuns.id, runId));
    let writes = 0;
    const statement = runProgressStatement(runId, row?.leaseOwner as string);
    const writer = progressWriter(
      env.deps,
      (progress) => {
        writes += 1;
        return statement(progress);
      },
      () => {},
    );
    const counts = { ...row?.counts } as NonNullable<typeof row>["counts"];
    const at = Date.now();
    writer.listener({ phase: "reading", pagesRead: 0, usersRead: 0, counts, at });
    for (let page = 1; page <= 200; page += 1) {
      writer.listener({ phase: "reading", pagesRead: page, usersRead: page, counts, at });
      await Bun.sleep(0);
    }
    await writer.flush();
    // The first report, and the last one on flush: not 201 writes.
    expect(writes).toBeLessThanOrEqual(3);
    expect((await env.rowOf(runId))?.progress?.pagesRead).toBe(200);
    writer.listener({ phase: "writing", pagesRead: 200, usersRead: 200, counts, at });
    await writer.flush();
    expect((await env.rowOf(runId))?.progress?.phase).toBe("writing");
    await executeRun(env.deps, runId);
  });
});

describe("cancel", () => {
  test("a cancelled run stops between pages, deletes nobody and ends cancelled", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 60), groups: [], pageSize: 10 };
    const env = await setup(directory, { manageUserDeletion: true });
    expect((await env.run()).outcome).toBe("succeeded");
    // Ten users leave the directory: a completed run would delete them (within the limit).
    directory.users = usersOf("u", 50);
    let runId = "";
    directory.beforePage = async (page) => {
      if (page === 2) await cancelRun(env.ctx, runId);
    };
    const started = await startRun(env.ctx, env.input);
    runId = started.id;
    await env.deps.tracker?.idle();
    const run = await getRun(env.ctx, runId);
    expect(run.outcome).toBe("cancelled");
    expect(run.error).toContain("nobody was deleted");
    expect(run.counts.deleted).toBe(0);
    expect(run.finishedAt).not.toBeNull();
    expect(await env.activeSynced()).toBe(60);
    // Without the cancel, the same directory deletes the ten.
    directory.beforePage = undefined;
    expect((await env.run()).counts.deleted).toBe(10);
  });

  test("a run of another process is cancelled through its row, at its next progress write", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 100), groups: [], pageSize: 10 };
    const env = await setup(directory, { manageUserDeletion: true });
    // Another instance on the same file: it cannot reach this process's controllers.
    const other = await createDb({ url: env.url });
    const otherCtx = { ...env.ctx, db: other, tracker: undefined };
    let runId = "";
    let cancelledAt = 0;
    directory.beforePage = async (page) => {
      if (page === 2) {
        await cancelRun(otherCtx, runId);
        cancelledAt = page;
      }
      await Bun.sleep(250);
    };
    runId = await claimRun(env.deps, env.input);
    await executeRun(env.deps, runId);
    const run = await getRun(env.ctx, runId);
    expect(cancelledAt).toBe(2);
    expect(run.outcome).toBe("cancelled");
    expect(run.cancelRequested).toBe(true);
    // Stopped within about a second of progress writes, long before the tenth page.
    expect(run.progress?.pagesRead ?? 99).toBeLessThan(10);
    expect(run.counts.deleted).toBe(0);
  });

  test("a queued run that is cancelled ends at once, without taking a turn", async () => {
    const slow: ToyDirectory = { users: usersOf("s", 20), groups: [], pageSize: 10 };
    const env = await testDeps([toyConnector(slow)]);
    const deps = { ...env.deps, tracker: new RunTracker({ maxConcurrent: 1 }) };
    const tenant = await seedTenant(deps);
    const ctx = { ...tenant.ctx, tracker: deps.tracker };
    const first = await createConnection(ctx, { type: "toy", settings: {}, secret: "s" });
    const second = await createConnection(ctx, { type: "toy", settings: {}, secret: "s" });
    await connectConnection(ctx, first.id);
    await connectConnection(ctx, second.id);
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    slow.beforePage = (page) => (page === 1 ? held : undefined);
    const base = { tenantId: tenant.tenantId, trigger: "manual" as const, triggeredBy: null };
    const running = await startRun(ctx, { ...base, connectionId: first.id });
    const queued = await startRun(ctx, { ...base, connectionId: second.id });
    expect(deps.tracker.queued).toEqual([queued.id]);
    await cancelRun(ctx, queued.id);
    await until(async () => (await getRun(ctx, queued.id)).outcome !== "running");
    expect((await getRun(ctx, queued.id)).outcome).toBe("cancelled");
    expect((await getRun(ctx, running.id)).outcome).toBe("running");
    expect(deps.tracker.active).toBe(1);
    release();
    await deps.tracker.idle();
    expect((await getRun(ctx, running.id)).outcome).toBe("succeeded");
  });

  test("a cancel that arrives after the read, as deleting begins, still deletes nobody", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 30), groups: [], pageSize: 10 };
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    directory.users = usersOf("u", 27);
    const runId = await claimRun(env.deps, env.input);
    const row = await env.rowOf(runId);
    const stop = new AbortController();
    const connector = toyConnector(directory);
    const result = await synchronize(
      env.deps,
      {
        tenantId: env.tenantId,
        tenantName: "acme",
        connectionId: env.connection.id,
        connector,
        settings: connector.settings.parse({ manageUserDeletion: true }),
        secret: "s",
      },
      {
        dryRun: false,
        lease: { runId, token: row?.leaseOwner as string },
        deletionLimitLifted: false,
        confirmedUserIds: [],
        // The whole directory was read; the administrator cancels now.
        onProgress: (progress) => {
          if (progress.phase === "deleting") stop.abort(new CancelledError());
        },
      },
      stop.signal,
    );
    expect(result.outcome).toBe("failed");
    expect(result.counts.deleted).toBe(0);
    expect(await env.activeSynced()).toBe(30);
  });

  test("a finished run cannot be cancelled (409 not_running); another tenant's is not found", async () => {
    const env = await setup({ users: usersOf("u", 3), groups: [] });
    const run = await env.run();
    const refused = await cancelRun(env.ctx, run.id).catch((error) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused.code).toBe("not_running");
    const stranger = await cancelRun({ ...env.ctx, tenantId: "ten_other" }, run.id).catch(
      (error) => error,
    );
    expect(stranger.code).toBe("not_found");
  });
});

describe("preview jobs", () => {
  test("a preview runs in the background with progress, one per connection, and keeps its result", async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const directory: ToyDirectory = { users: usersOf("u", 30), groups: [], pageSize: 10 };
    directory.beforePage = (page) => (page === 2 ? held : undefined);
    const env = await setup(directory);
    const started = await previewConnection(env.ctx, env.connection.id);
    expect(started.status).toBe("running");
    expect(started.result).toBeNull();
    // A second one while it runs: 409 with the running one's id, to follow it instead.
    const again = await previewConnection(env.ctx, env.connection.id).catch((error) => error);
    expect(again.code).toBe("preview_in_progress");
    expect(again.details).toEqual({ id: started.id });
    await until(async () => (await getPreview(env.ctx, started.id)).progress?.pagesRead === 2);
    release();
    await until(async () => (await getPreview(env.ctx, started.id)).status !== "running");
    const done = await getPreview(env.ctx, started.id);
    expect(done.status).toBe("succeeded");
    expect(done.result?.counts.created).toBe(30);
    expect(done.finishedAt).not.toBeNull();
    expect((await latestPreview(env.ctx, env.connection.id)).id).toBe(started.id);
    // Nothing was written, and the next preview may start.
    expect(await env.activeSynced()).toBe(0);
    const next = await previewConnection(env.ctx, env.connection.id);
    await until(async () => (await getPreview(env.ctx, next.id)).status !== "running");
    expect((await latestPreview(env.ctx, env.connection.id)).id).toBe(next.id);
  });

  test("a cancelled preview stops and says so; a finished one cannot be cancelled", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 100), groups: [], pageSize: 10 };
    const env = await setup(directory);
    let previewId = "";
    directory.beforePage = async (page) => {
      if (page !== 3) return;
      // Pages are read ahead: page 3 may be asked for before the preview's id is known here.
      while (!previewId) await Bun.sleep(1);
      await cancelPreview(env.ctx, previewId);
    };
    previewId = (await previewConnection(env.ctx, env.connection.id)).id;
    await until(async () => (await getPreview(env.ctx, previewId)).status !== "running");
    const cancelled = await getPreview(env.ctx, previewId);
    expect(cancelled.status).toBe("cancelled");
    expect(cancelled.result).toBeNull();
    expect(cancelled.progress?.pagesRead ?? 99).toBeLessThan(10);
    const refused = await cancelPreview(env.ctx, previewId).catch((error) => error);
    expect(refused.code).toBe("not_running");
  });

  test("a preview left running by a process that ended is shown failed, not running forever", async () => {
    const env = await setup({ users: usersOf("u", 3), groups: [] });
    const preview = await previewConnection(env.ctx, env.connection.id);
    await until(async () => (await getPreview(env.ctx, preview.id)).status !== "running");
    // A fresh handle on the file: the process that ran it is gone as far as it knows.
    const { syncPreviews } = await import("@roster/db");
    await env.deps.db.db
      .update(syncPreviews)
      .set({ status: "running", finishedAt: null, progress: null })
      .where(eq(syncPreviews.id, preview.id));
    const other = { ...env.ctx, db: await createDb({ url: env.url }) };
    expect((await getPreview(other, preview.id)).status).toBe("running");
    env.clock.advance(3 * 60 * 1000);
    const lapsed = await getPreview(other, preview.id);
    expect(lapsed.status).toBe("failed");
    expect(lapsed.error).toContain("stopped before it finished");
  });
});

describe("run issues", () => {
  test("every failure is stored and counted (1,503, no cap), grouped by reason, paged and searched", async () => {
    const noEmail = Array.from({ length: 1503 }, (_, i) => toyUser(`bad${i}`, { email: null }));
    const directory: ToyDirectory = {
      users: [...usersOf("ok", 20), ...noEmail],
      groups: [],
      pageSize: 999,
    };
    const env = await setup(directory);
    const run = await env.run();
    expect(run.counts.failed).toBe(1503);
    expect(run.totals.failures).toBe(1503);
    expect(run.failures).toHaveLength(100);
    expect(run.reasons).toContainEqual(expect.objectContaining({ code: "no_email", count: 1503 }));
    const ids = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await listRunIssues(env.ctx, run.id, { kind: "failure", limit: 500, cursor });
      for (const issue of page.items) ids.add(issue.id);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(ids.size).toBe(1503);
    const found = await listRunIssues(env.ctx, run.id, { query: "GIVENBAD1502", limit: 50 });
    expect(found.items.map((issue) => issue.externalId)).toEqual(["bad1502"]);
    const byCode = await listRunIssues(env.ctx, run.id, { code: "email_taken", limit: 50 });
    expect(byCode.items).toEqual([]);
    // A search for LIKE's wildcards matches them literally.
    expect((await listRunIssues(env.ctx, run.id, { query: "%", limit: 5 })).items).toEqual([]);
  });

  test("the CSV export has every row, quoted, with formula-like names defused", async () => {
    const directory: ToyDirectory = {
      users: [
        toyUser("x1", { email: null, displayName: '=HYPERLINK("http://evil")' }),
        ...Array.from({ length: 2500 }, (_, i) => toyUser(`bad${i}`, { email: null })),
      ],
      groups: [],
    };
    const env = await setup(directory);
    const run = await env.run();
    const csv = await new Response(await exportRunIssues(env.ctx, run.id, {})).text();
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("kind,code,displayName,email,externalId,message");
    expect(lines).toHaveLength(2502);
    expect(csv).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(csvField("-1+2")).toBe(`"'-1+2"`);
    expect(csvField("Ann")).toBe(`"Ann"`);
  });

  test("a needs_review run keeps who would be deleted; confirming deletes exactly them", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 100), groups: [] };
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    directory.users = usersOf("u", 40);
    const review = await env.run();
    expect(review.outcome).toBe("needs_review");
    expect(review.totals.pendingDeletions).toBe(60);
    const pending = await listRunIssues(env.ctx, review.id, {
      kind: "pending_deletion",
      limit: 100,
    });
    expect(pending.items).toHaveLength(60);
    expect(new Set(pending.items.map((issue) => issue.externalId))).toEqual(
      new Set(
        usersOf("u", 100)
          .slice(40)
          .map((user) => user.externalId),
      ),
    );
    const searched = await listRunIssues(env.ctx, review.id, {
      kind: "pending_deletion",
      query: "u99@",
      limit: 10,
    });
    expect(searched.items.map((issue) => issue.email)).toEqual(["u99@example.com"]);
    expect(await env.activeSynced()).toBe(100);
  });
});

describe("restore", () => {
  test("a deleted user is restored; one that is not deleted is a conflict", async () => {
    const directory: ToyDirectory = { users: usersOf("u", 3), groups: [] };
    const env = await setup(directory, { manageUserDeletion: true });
    await env.run();
    directory.users = usersOf("u", 2);
    expect((await env.run()).counts.deleted).toBe(1);
    const [deleted] = await env.deps.db.db.select().from(users).where(isNotNull(users.deletedAt));
    const restored = await restoreUser(env.ctx, deleted?.id as string);
    expect(restored.deletedAt).toBeNull();
    expect(await env.activeSynced()).toBe(3);
    const again = await restoreUser(env.ctx, deleted?.id as string).catch((error) => error);
    expect(again.code).toBe("conflict");
  });
});

describe("notification titles", () => {
  const run = (over: Record<string, unknown>) =>
    ({
      outcome: "completed_with_errors",
      pendingDeletions: 0,
      counts: {
        created: 3,
        updated: 0,
        restored: 0,
        deleted: 0,
        skipped: 0,
        unchanged: 0,
        failed: 1503,
      },
      ...over,
    }) as unknown as Parameters<typeof runTitle>[0];
  test("a run where users failed is titled by its failures, not 'made changes'", () => {
    expect(runTitle(run({}), "user_sync.changes", "Contoso")).toBe(
      'User sync of "Contoso": 1,503 users failed',
    );
    expect(
      runTitle(
        run({ outcome: "succeeded", counts: { ...run({}).counts, failed: 0 } }),
        "user_sync.changes",
        "Contoso",
      ),
    ).toBe('User sync of "Contoso" made changes');
    expect(
      runTitle(
        run({ outcome: "needs_review", pendingDeletions: 455 }),
        "user_sync.needs_review",
        "C",
      ),
    ).toBe('User sync of "C" needs review: 455 deletions to confirm');
    expect(runTitle(run({ outcome: "cancelled" }), "user_sync.changes", "C")).toBe(
      'User sync of "C" was cancelled',
    );
  });
});
