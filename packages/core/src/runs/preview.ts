import { type SyncPreview, syncPreviews } from "@roster/db";
import { and, desc, eq, notInArray } from "drizzle-orm";
import { exclusively } from "../connections/exclusive.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { errorMessage } from "../logger.ts";
import { iso } from "../paging.ts";
import { loadConnectedConnection, previewSync } from "./execute.ts";
import { startingProgress } from "./lease.ts";
import { CancelledError, previewProgressStatement, progressWriter } from "./progress-writer.ts";

export type PreviewResult = Awaited<ReturnType<typeof previewSync>>;

export const previewView = (preview: SyncPreview) => ({
  id: preview.id,
  connectionId: preview.connectionId,
  status: preview.status,
  progress: preview.progress ?? null,
  /** What a run would do (counts, samples, outcome); null until the preview succeeded. */
  result: (preview.result as PreviewResult | null) ?? null,
  error: preview.error,
  cancelRequested: preview.cancelRequestedAt !== null,
  startedAt: iso(preview.startedAt) as string,
  finishedAt: iso(preview.finishedAt),
});
export type PreviewView = ReturnType<typeof previewView>;

/** Previews kept per connection (each holds only counts and ten samples of each kind). */
const KEPT_PREVIEWS = 10;

/** A running preview whose progress is older than this belongs to a process that ended. */
const LAPSED_MS = 2 * 60 * 1000;

/** The previews running in this process, per database handle, to cancel them. */
const runningByDb = new WeakMap<object, Map<string, AbortController>>();
const runningOf = (ctx: Ctx) => {
  let running = runningByDb.get(ctx.db);
  if (!running) {
    running = new Map();
    runningByDb.set(ctx.db, running);
  }
  return running;
};

/**
 * `POST …/preview`: starts a preview in the background and answers at once with its record
 * (a preview reads the whole directory: minutes on a slow one, longer than any request
 * should stay open). One preview per connection at a time in a process (409
 * `preview_in_progress`, `details.id` the running one's, which the caller can follow).
 */
export async function previewConnection(ctx: Ctx, connectionId: string): Promise<PreviewView> {
  await loadConnectedConnection(ctx, connectionId, "previewing");
  let created: (id: string) => void = () => {};
  const ready = new Promise<string>((resolve) => {
    created = resolve;
  });
  const job = exclusively(ctx, "preview", connectionId, async (previewId) => {
    await ctx.db.db.insert(syncPreviews).values({
      id: previewId,
      tenantId: ctx.tenantId,
      connectionId,
      requestedBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
      status: "running",
      progress: startingProgress(ctx.clock.now()),
      startedAt: ctx.clock.now(),
    });
    created(previewId);
    await runPreview(ctx, previewId, connectionId);
  });
  // Before the record exists, a failure (409, the database) is the request's; after, the job's.
  const previewId = await Promise.race([ready, job.then(() => ready)]);
  job.catch((error: unknown) =>
    ctx.log.error("preview crashed", { previewId, error: errorMessage(error) }),
  );
  await pruneOldPreviews(ctx, connectionId);
  return getPreview(ctx, previewId);
}

async function runPreview(ctx: Ctx, previewId: string, connectionId: string) {
  const running = runningOf(ctx);
  const controller = new AbortController();
  running.set(previewId, controller);
  const progress = progressWriter(ctx, previewProgressStatement(previewId), () =>
    controller.abort(new CancelledError()),
  );
  let outcome: Pick<SyncPreview, "status" | "result" | "error">;
  try {
    const result = await previewSync(ctx, connectionId, {
      signal: controller.signal,
      onProgress: progress.listener,
    });
    outcome =
      controller.signal.reason instanceof CancelledError
        ? { status: "cancelled", result: null, error: controller.signal.reason.message }
        : { status: "succeeded", result, error: null };
  } catch (error) {
    outcome = { status: "failed", result: null, error: errorMessage(error) };
  } finally {
    await progress.flush();
    running.delete(previewId);
  }
  await ctx.db.db
    .update(syncPreviews)
    .set({ ...outcome, finishedAt: ctx.clock.now() })
    .where(and(eq(syncPreviews.id, previewId), eq(syncPreviews.status, "running")));
}

async function pruneOldPreviews(ctx: Ctx, connectionId: string) {
  const kept = await ctx.db.db
    .select({ id: syncPreviews.id })
    .from(syncPreviews)
    .where(eq(syncPreviews.connectionId, connectionId))
    .orderBy(desc(syncPreviews.startedAt), desc(syncPreviews.id))
    .limit(KEPT_PREVIEWS);
  await ctx.db.db.delete(syncPreviews).where(
    and(
      eq(syncPreviews.connectionId, connectionId),
      notInArray(
        syncPreviews.id,
        kept.map((row) => row.id),
      ),
    ),
  );
}

async function loadPreview(ctx: Ctx, previewId: string): Promise<SyncPreview> {
  const [preview] = await ctx.db.db
    .select()
    .from(syncPreviews)
    .where(and(eq(syncPreviews.id, previewId), eq(syncPreviews.tenantId, ctx.tenantId)));
  if (!preview) throw notFound("The preview");
  return settleLapsed(ctx, preview);
}

/** A preview left `running` by a process that ended is shown as failed, once and for all. */
async function settleLapsed(ctx: Ctx, preview: SyncPreview): Promise<SyncPreview> {
  if (preview.status !== "running" || runningOf(ctx).has(preview.id)) return preview;
  const lastSign = preview.progress?.at ?? preview.startedAt.getTime();
  if (ctx.clock.now().getTime() - lastSign < LAPSED_MS) return preview;
  const [settled] = await ctx.db.db
    .update(syncPreviews)
    .set({
      status: "failed",
      error: "The preview stopped before it finished (the service restarted). Start it again.",
      finishedAt: ctx.clock.now(),
    })
    .where(and(eq(syncPreviews.id, preview.id), eq(syncPreviews.status, "running")))
    .returning();
  return settled ?? preview;
}

/** `GET /api/user-sync/previews/:id`: a preview's progress, and its result once done. */
export async function getPreview(ctx: Ctx, previewId: string): Promise<PreviewView> {
  return previewView(await loadPreview(ctx, previewId));
}

/** `GET …/connections/:id/preview`: the latest preview of a connection, kept to be read later. */
export async function latestPreview(ctx: Ctx, connectionId: string): Promise<PreviewView> {
  const [preview] = await ctx.db.db
    .select()
    .from(syncPreviews)
    .where(
      and(eq(syncPreviews.connectionId, connectionId), eq(syncPreviews.tenantId, ctx.tenantId)),
    )
    .orderBy(desc(syncPreviews.startedAt), desc(syncPreviews.id))
    .limit(1);
  if (!preview) throw notFound("A preview of this connection");
  return previewView(await settleLapsed(ctx, preview));
}

/**
 * `POST /api/user-sync/previews/:id/cancel`: stops a running preview between pages. This
 * process aborts it at once; another process sees the request at its next progress write.
 */
export async function cancelPreview(ctx: Ctx, previewId: string): Promise<PreviewView> {
  const preview = await loadPreview(ctx, previewId);
  if (preview.status !== "running") {
    throw new DomainError("not_running", "The preview has already finished.");
  }
  await ctx.db.db
    .update(syncPreviews)
    .set({ cancelRequestedAt: ctx.clock.now() })
    .where(and(eq(syncPreviews.id, previewId), eq(syncPreviews.status, "running")));
  runningOf(ctx).get(previewId)?.abort(new CancelledError());
  return getPreview(ctx, previewId);
}
