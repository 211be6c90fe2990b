import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testApi } from "./support.ts";

/** Issue 17, points 1–5: preview jobs, run progress and cancel, run issues, deletions, restore. */
let api: Awaited<ReturnType<typeof testApi>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let other: typeof acme;
let connectionId: string;
const base = "/api/user-sync";

beforeAll(async () => {
  api = await testApi({ users: 120 });
  acme = await api.createTenant("acme");
  other = await api.createTenant("other");
  const created = await api.call("POST", `${base}/connections`, {
    token: acme.token,
    body: {
      type: "entra-id",
      settings: {
        applicationId: api.entra.clientId,
        directoryId: api.entra.tenantId,
        users: "all",
        manageUserDeletion: true,
        deletionLimit: { percent: 1, minimum: 1 },
      },
      secret: api.entra.secret,
    },
  });
  connectionId = created.json.id;
  const connected = await api.call("POST", `${base}/connections/${connectionId}/connect`, {
    token: acme.token,
  });
  expect(connected.json.status).toBe("connected");
});
afterAll(async () => {
  await api.stop();
});

const sync = async () => {
  const started = await api.call("POST", `${base}/connections/${connectionId}/sync`, {
    token: acme.token,
  });
  expect(started.status).toBe(202);
  return started.json.run.id as string;
};
const runOf = async (runId: string) =>
  (await api.call("GET", `${base}/runs/${runId}`, { token: acme.token })).json;

describe("preview as a background job", () => {
  test("POST answers 202 at once; the preview is followed, kept, and readable later", async () => {
    api.sim.setFaults({ latencyMs: 400 });
    const startedAt = Date.now();
    const started = await api.call("POST", `${base}/connections/${connectionId}/preview`, {
      token: acme.token,
    });
    // The request does not wait for the directory (which takes > 400 ms to answer).
    expect(Date.now() - startedAt).toBeLessThan(400);
    expect(started.status).toBe(202);
    expect(started.json.preview).toMatchObject({ status: "running", result: null });
    const again = await api.call("POST", `${base}/connections/${connectionId}/preview`, {
      token: acme.token,
    });
    expect([again.status, again.json.error.details.id]).toEqual([409, started.json.preview.id]);
    api.sim.setFaults({});
    const done = await api.waitForPreview(acme.token, started.json.preview.id);
    expect(done.status).toBe("succeeded");
    expect(done.result.counts.created).toBeGreaterThan(100);
    expect(done.progress.usersRead).toBeGreaterThan(100);
    const latest = await api.call("GET", `${base}/connections/${connectionId}/preview`, {
      token: acme.token,
    });
    expect(latest.json.id).toBe(started.json.preview.id);
    // Another tenant sees none of it.
    const foreign = await api.call("GET", `${base}/previews/${started.json.preview.id}`, {
      token: other.token,
    });
    expect(foreign.status).toBe(404);
  });

  test("a preview can be cancelled; a finished one answers 409 not_running", async () => {
    api.sim.setFaults({ latencyMs: 500 });
    const started = await api.call("POST", `${base}/connections/${connectionId}/preview`, {
      token: acme.token,
    });
    const id = started.json.preview.id;
    const cancel = await api.call("POST", `${base}/previews/${id}/cancel`, { token: acme.token });
    expect(cancel.status).toBe(202);
    expect(cancel.json.cancelRequested).toBe(true);
    const done = await api.waitForPreview(acme.token, id);
    api.sim.setFaults({});
    expect(done.status).toBe("cancelled");
    const late = await api.call("POST", `${base}/previews/${id}/cancel`, { token: acme.token });
    expect([late.status, late.json.error.code]).toEqual([409, "not_running"]);
  });
});

describe("runs: progress, cancel, issues", () => {
  let firstRunId: string;

  test("a running run shows progress; the finished run keeps its totals and reasons", async () => {
    api.sim.setFaults({ latencyMs: 1200 });
    const runId = await sync();
    firstRunId = runId;
    const running = await runOf(runId);
    expect(running.outcome).toBe("running");
    expect(running.progress).toMatchObject({ phase: "starting", pagesRead: 0 });
    // Reading: written at the start of the read, while the directory is still answering.
    for (let i = 0; i < 100 && (await runOf(runId)).progress.phase === "starting"; i += 1)
      await Bun.sleep(20);
    expect((await runOf(runId)).progress).toMatchObject({ phase: "reading", pagesRead: 0 });
    api.sim.setFaults({});
    await api.deps.tracker.idle();
    const run = await runOf(runId);
    expect(run.outcome).toBe("completed_with_errors");
    expect(run.progress.pagesRead).toBeGreaterThanOrEqual(1);
    expect(run.totals.failures).toBe(run.counts.failed);
    const grouped = run.reasons
      .filter((reason: { kind: string }) => reason.kind === "failure")
      .reduce((sum: number, reason: { count: number }) => sum + reason.count, 0);
    expect(grouped).toBe(run.counts.failed);
    const card = await api.call("GET", `${base}/connections/${connectionId}`, {
      token: acme.token,
    });
    expect(card.json.lastRun).toMatchObject({
      id: runId,
      error: null,
      pendingDeletions: 0,
      // PIN emails are off on this connection: none queued.
      emails: { pending: 0, sent: 0, failed: 0 },
    });
  });

  test("issues are filtered by kind and code, searched, paged, and exported as CSV", async () => {
    const run = await runOf(firstRunId);
    const [reason] = run.reasons;
    const byCode = await api.call(
      "GET",
      `${base}/runs/${firstRunId}/issues?kind=${reason.kind}&code=${reason.code}&limit=1`,
      { token: acme.token },
    );
    expect(byCode.status).toBe(200);
    expect(byCode.json.items).toHaveLength(1);
    expect(byCode.json.items[0]).toMatchObject({ kind: reason.kind, code: reason.code });
    let seen = 0;
    let cursor: string | null = null;
    do {
      const page: { json: { items: unknown[]; nextCursor: string | null } } = await api.call(
        "GET",
        `${base}/runs/${firstRunId}/issues?kind=${reason.kind}&code=${reason.code}&limit=1${cursor ? `&cursor=${cursor}` : ""}`,
        { token: acme.token },
      );
      seen += page.json.items.length;
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toBe(reason.count);
    const email = run.failures.find((f: { email: string | null }) => f.email)?.email as string;
    const searched = await api.call(
      "GET",
      `${base}/runs/${firstRunId}/issues?query=${encodeURIComponent(email.toUpperCase())}`,
      { token: acme.token },
    );
    expect(searched.json.items.map((item: { email: string }) => item.email)).toContain(email);
    const bad = await api.call("GET", `${base}/runs/${firstRunId}/issues?kind=everything`, {
      token: acme.token,
    });
    expect([bad.status, bad.json.error.code]).toEqual([400, "validation_failed"]);

    const csv = await api.call("GET", `${base}/runs/${firstRunId}/issues.csv`, {
      token: acme.token,
    });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toContain("text/csv");
    expect(csv.headers.get("content-disposition")).toContain(`run-${firstRunId}-issues.csv`);
    const lines = csv.text.trimEnd().split("\r\n");
    expect(lines[0]).toBe("kind,code,displayName,email,externalId,message");
    expect(lines).toHaveLength(1 + run.totals.failures + run.totals.warnings);
  });

  test("Cancel stops a run: outcome cancelled, nobody deleted", async () => {
    // Twenty users leave the directory: a finished run would review or delete them.
    const tenant = api.directory.find(api.entra.tenantId);
    const gone = (tenant?.sortedUsers() ?? []).slice(0, 6).map((user) => user.id);
    api.directory.find(api.entra.tenantId)?.deleteUsers(gone);
    api.sim.setFaults({ latencyMs: 800 });
    const runId = await sync();
    const cancel = await api.call("POST", `${base}/runs/${runId}/cancel`, { token: acme.token });
    expect(cancel.status).toBe(202);
    expect(cancel.json.run.cancelRequested).toBe(true);
    await api.deps.tracker.idle();
    api.sim.setFaults({});
    const run = await runOf(runId);
    expect(run.outcome).toBe("cancelled");
    expect(run.counts.deleted).toBe(0);
    const deleted = await api.call("GET", "/api/users?deleted=only", { token: acme.token });
    expect(deleted.json.items).toEqual([]);
    const again = await api.call("POST", `${base}/runs/${runId}/cancel`, { token: acme.token });
    expect([again.status, again.json.error.code]).toEqual([409, "not_running"]);
    const foreign = await api.call("POST", `${base}/runs/${runId}/cancel`, { token: other.token });
    expect(foreign.status).toBe(404);
  });

  test("a run over the limit lists who would be deleted; after confirming, Deleted users can be restored", async () => {
    const review = await runOf(
      await sync().then(async (id) => {
        await api.deps.tracker.idle();
        return id;
      }),
    );
    expect(review.outcome).toBe("needs_review");
    expect(review.totals.pendingDeletions).toBe(6);
    const card = await api.call("GET", `${base}/connections/${connectionId}`, {
      token: acme.token,
    });
    expect(card.json.lastRun.error).toContain("An administrator must confirm");
    expect(card.json.lastRun.pendingDeletions).toBe(6);
    const pending = await api.call(
      "GET",
      `${base}/runs/${review.id}/issues?kind=pending_deletion&limit=2`,
      { token: acme.token },
    );
    expect(pending.json.items).toHaveLength(2);
    expect(pending.json.nextCursor).not.toBeNull();
    const confirmed = await api.call("POST", `${base}/runs/${review.id}/confirm-deletions`, {
      token: acme.token,
    });
    expect(confirmed.status).toBe(202);
    await api.deps.tracker.idle();
    expect((await runOf(confirmed.json.run.id)).counts.deleted).toBe(6);

    const deleted = await api.call("GET", "/api/users?deleted=only", { token: acme.token });
    expect(deleted.json.items).toHaveLength(6);
    const [first] = deleted.json.items;
    const restored = await api.call("POST", `/api/users/${first.id}/restore`, {
      token: acme.token,
    });
    expect([restored.status, restored.json.deletedAt]).toEqual([200, null]);
    const twice = await api.call("POST", `/api/users/${first.id}/restore`, { token: acme.token });
    expect([twice.status, twice.json.error.code]).toEqual([409, "conflict"]);
    const foreign = await api.call("POST", `/api/users/${first.id}/restore`, {
      token: other.token,
    });
    expect(foreign.status).toBe(404);
    const left = await api.call("GET", "/api/users?deleted=only", { token: acme.token });
    expect(left.json.items).toHaveLength(5);
  });
});
