import { syncRuns } from "@roster/db";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { CancelledError } from "./progress-writer.ts";
import { type RunView, runView } from "./views.ts";

/**
 * `POST /api/user-sync/runs/:id/cancel`: a running run stops between pages, keeps what it
 * wrote, deletes nobody and ends `cancelled`. This process aborts its own run at once; a
 * run of another process sees the request on the row at its next progress write (~1 s).
 */
export async function cancelRun(ctx: Ctx, runId: string): Promise<RunView> {
  const [run] = await ctx.db.db
    .update(syncRuns)
    .set({ cancelRequestedAt: ctx.clock.now() })
    .where(
      and(
        eq(syncRuns.id, runId),
        eq(syncRuns.tenantId, ctx.tenantId),
        eq(syncRuns.outcome, "running"),
      ),
    )
    .returning();
  if (!run) {
    const [existing] = await ctx.db.db
      .select({ id: syncRuns.id })
      .from(syncRuns)
      .where(and(eq(syncRuns.id, runId), eq(syncRuns.tenantId, ctx.tenantId)));
    if (!existing) throw notFound("The run");
    throw new DomainError("not_running", "The run has already finished.");
  }
  ctx.tracker?.cancel(runId, new CancelledError());
  return runView(run);
}
