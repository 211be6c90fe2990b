import { type NotificationKind, newId, notifications, type SyncRun } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import { PERMISSIONS } from "../permissions.ts";

const hasChanges = (run: SyncRun) =>
  run.counts.created + run.counts.restored + run.counts.deleted + run.counts.failed > 0;

/**
 * Active users of a tenant holding a permission (through any of their roles), earliest
 * created first. Starts from the tenant's few roles granting it, so it stays instant
 * however many users the tenant has.
 */
export async function holdersOf(
  deps: CoreDeps,
  tenantId: string,
  permission: string,
): Promise<string[]> {
  const result = await deps.db.client.execute({
    sql: `select distinct u.id, u.created_at from roles r
          join user_roles ur on ur.role_id = r.id
          join users u on u.id = ur.user_id
          where r.tenant_id = ? and u.deleted_at is null
            and exists (select 1 from json_each(r.permissions) p where p.value = ?)
          order by u.created_at, u.id`,
    args: [tenantId, permission],
  });
  return result.rows.map((row) => String(row.id));
}

const summary = (run: SyncRun) => {
  const c = run.counts;
  return `${c.created} created, ${c.updated} updated, ${c.restored} restored, ${c.deleted} deleted, ${c.failed} failed.`;
};

/**
 * A run's notification title says what matters most: a run where users failed is titled by
 * its failures (1,503 failures are not "made changes"), a cancelled run says so.
 */
export function runTitle(run: SyncRun, kind: NotificationKind, connectionName: string): string {
  const of = `User sync of "${connectionName}"`;
  if (run.outcome === "cancelled") return `${of} was cancelled`;
  if (kind === "user_sync.failed") return `${of} failed`;
  if (kind === "user_sync.needs_review")
    return `${of} needs review: ${run.pendingDeletions.toLocaleString("en-US")} deletions to confirm`;
  const failed = run.counts.failed;
  if (failed > 0)
    return `${of}: ${failed.toLocaleString("en-US")} ${failed === 1 ? "user" : "users"} failed`;
  if (kind === "user_sync.changes") return `${of} made changes`;
  return `${of} finished`;
}

/**
 * Who hears about a finished run (spec §7): the user who triggered a manual run, always;
 * every user-sync administrator when it changed something, failed or needs review.
 * One notification per user per run (dedupe key), so nobody is told twice.
 */
export async function notifyRunFinished(
  deps: CoreDeps,
  run: SyncRun,
  connectionName: string,
): Promise<void> {
  const recipients = new Map<string, NotificationKind>();
  const kind: NotificationKind =
    run.outcome === "failed"
      ? "user_sync.failed"
      : run.outcome === "needs_review"
        ? "user_sync.needs_review"
        : hasChanges(run)
          ? "user_sync.changes"
          : "user_sync.finished";
  if (kind !== "user_sync.finished") {
    for (const id of await holdersOf(deps, run.tenantId, PERMISSIONS.userSync))
      recipients.set(id, kind);
  }
  if (run.trigger === "manual" && run.triggeredBy) recipients.set(run.triggeredBy, kind);
  if (recipients.size === 0) return;

  const title = runTitle(run, kind, connectionName);
  const body =
    run.outcome === "failed"
      ? `${run.error ?? "The run failed."} ${summary(run)}`
      : run.outcome === "needs_review"
        ? `${run.pendingDeletions} users would be deleted, more than the deletion limit. Review the run and confirm to delete them.`
        : summary(run);
  const now = deps.clock.now();
  await deps.db.db
    .insert(notifications)
    .values(
      [...recipients].map(([userId, notificationKind]) => ({
        id: newId("ntf"),
        tenantId: run.tenantId,
        userId,
        kind: notificationKind,
        title,
        body,
        data: { connectionId: run.connectionId, runId: run.id, counts: run.counts },
        dedupeKey: `run:${run.id}`,
        createdAt: now,
      })),
    )
    .onConflictDoNothing();
}
