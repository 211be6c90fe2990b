import { type Connector, type SyncOptions, syncOptionsSchema } from "@roster/connector-kit";
import type { RunCounts } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import { PERMISSIONS } from "../permissions.ts";
import { planDeletions } from "../rules/deletion.ts";
import { holdersOf } from "../runs/notify.ts";
import { letRequestsIn } from "./event-loop.ts";
import {
  failureReason,
  fieldsToRead,
  keptAdministrator,
  mirrorGroups,
  plannerFor,
  storeFor,
} from "./phases.ts";
import { createProgress, type ProgressListener } from "./progress.ts";
import { prefetched } from "./read.ts";
import { LeaseLostError, type RunLease } from "./store/index.ts";
import { createTally, type Sample, type SampleKind } from "./tally.ts";
import { UserIndex } from "./user-index.ts";
import { createWriteQueue } from "./write-queue.ts";

export type SyncTarget = {
  tenantId: string;
  tenantName: string;
  connectionId: string;
  connector: Connector;
  /** Parsed connector settings. */
  settings: Record<string, unknown>;
  secret: string;
};

/** A preview only decides; a run writes, holding its lease, within the deletion limit unless lifted. */
export type SyncMode = (
  | { dryRun: true }
  | { dryRun: false; lease: RunLease; deletionLimitLifted: boolean }
) & { onProgress?: ProgressListener };

export type SyncResult = {
  outcome: "succeeded" | "completed_with_errors" | "needs_review" | "failed";
  error: string | null;
  counts: RunCounts;
  /** Of the updates, how many take aliases away from their user. */
  aliasesRemoved: number;
  pendingDeletions: number;
  /** First users of each kind of change (Preview shows them). */
  samples: Record<SampleKind, Sample[]>;
};

/**
 * One run of a connection (spec §4): read the directory page by page → plan each user →
 * queue the decisions for the writer → write → (after a complete read only) delete within
 * the limit → mirror the selected groups → finish. A preview plans and counts, and writes
 * nothing.
 */
export async function synchronize(
  deps: CoreDeps,
  target: SyncTarget,
  mode: SyncMode,
  signal?: AbortSignal,
): Promise<SyncResult> {
  const options: SyncOptions = syncOptionsSchema.parse(target.settings);
  const index = await UserIndex.load(deps.db.client, target.tenantId, target.connectionId);
  // Taken before planning: the deletion limit is a share of the users active before the run.
  const activeBefore = index.activeOfConnection(target.connectionId);
  const planner = plannerFor(deps, target, options, index);
  const tally = createTally();
  const finish = tally.result;
  const progress = createProgress(tally.counts, mode.onProgress);
  const store = mode.dryRun ? null : await storeFor(deps, target, options, mode.lease);
  // A preview keeps no decisions: keeping them would hold the whole directory.
  const queue =
    store &&
    createWriteQueue(async (chunk) => {
      for (const { action } of await store.writeDecisions(chunk)) tally.refused(action);
    });
  const input = { settings: target.settings, secret: target.secret, log: deps.log, signal };
  const fields = fieldsToRead(options, target.connector);
  try {
    for await (const page of prefetched(target.connector.readUsers({ ...input, fields }))) {
      for (const user of page) {
        const decision = planner.plan(user);
        tally.decided(decision.action, user);
        queue?.add(decision);
      }
      await queue?.offer();
      progress.page(page.length);
      signal?.throwIfAborted();
      // A prefetched page is ready at once: without this, pages follow each other without
      // letting a single request in.
      await letRequestsIn();
    }
    progress.phase("writing");
    await queue?.drain();
  } catch (caught) {
    // An incomplete read keeps what was decided before it and deletes nobody (spec §4.1).
    const error = signal?.reason instanceof LeaseLostError ? signal.reason : caught;
    return finish("failed", failureReason((await queue?.salvage(error)) ?? error));
  }
  try {
    if (options.manageUserDeletion) {
      progress.phase("deleting");
      const deletion = planDeletions({
        activeBefore,
        seen: planner.seen,
        limit: options.deletionLimit,
        limitLifted: !mode.dryRun && mode.deletionLimitLifted,
        administrators: await holdersOf(deps, target.tenantId, PERMISSIONS.userSync),
      });
      signal?.throwIfAborted(); // a cancelled run deletes (and counts as deleted) nobody
      tally.deletions(deletion.users, deletion.kind === "delete");
      if (deletion.kind === "review") {
        const error = `${deletion.users.length} users would be deleted, more than the limit of ${deletion.limit}. An administrator must confirm.`;
        await store?.recordPendingDeletions(deletion.users);
        return finish("needs_review", error, deletion.users.length);
      }
      await store?.deleteUsers(deletion.users, deletion.kept.map(keptAdministrator));
    }
    progress.phase("groups");
    if (store) await mirrorGroups(store, target, input, index);
  } catch (error) {
    return finish("failed", failureReason(error));
  }
  return finish(tally.counts.failed > 0 ? "completed_with_errors" : "succeeded");
}
