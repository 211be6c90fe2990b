import { type ChangesEnd, type Connector, isResyncRequired } from "@roster/connector-kit";
import type { RunCounts } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import { planDeletions } from "../rules/deletion.ts";
import type { FullReason } from "../rules/full-read.ts";
import { failureReason, heldForReview, keptAdministrator, mirrorGroups } from "./phases.ts";
import type { ProgressListener } from "./progress.ts";
import { type ReadPass, readPass } from "./read-pass.ts";
import { type RunSetup, setUpRun } from "./run-setup.ts";
import { LeaseLostError, type RunLease } from "./store/index.ts";
import type { Sample, SampleKind } from "./tally.ts";

export type SyncTarget = {
  tenantId: string;
  tenantName: string;
  connectionId: string;
  connector: Connector;
  /** Parsed connector settings. */
  settings: Record<string, unknown>;
  secret: string;
  /** Where change reads stand, for a connector with `readChanges`. */
  changes?: ChangeState;
};

/** The connection's change cursor and what decides whether a run reads everything. */
export type ChangeState = {
  cursor: string | null;
  issuedAt: Date | null;
  dropped: "settings_changed" | null;
  /** When the last full run that finished cleanly started. */
  lastFullRunAt: Date | null;
  /** Emails users failed for because another user held them, as of the last clean run. */
  emailConflicts: string[];
};

/** A preview only decides; a run writes, holding its lease, within the deletion limit unless lifted. */
export type SyncMode = { read?: "full" | "incremental"; onProgress?: ProgressListener } & (
  | { dryRun: true }
  | {
      dryRun: false;
      lease: RunLease;
      deletionLimitLifted: boolean;
      /** Users an administrator confirmed the directory may take over (spec §4.11). */
      confirmedUserIds: readonly string[];
    }
);

export type SyncResult = {
  outcome: "succeeded" | "completed_with_errors" | "needs_review" | "failed";
  error: string | null;
  counts: RunCounts;
  /** Of the updates, how many take aliases away from their user. */
  aliasesRemoved: number;
  /** Existing users held until an administrator confirms taking them over. */
  held: number;
  pendingDeletions: number;
  /** First users of each kind of change (Preview shows them). */
  samples: Record<SampleKind, Sample[]>;
  /** Whether the run read everything or only the changes, and why everything. */
  mode: "full" | "incremental";
  fullReason: FullReason | null;
  /** The next change cursor: to keep only if the run finished cleanly. */
  cursor: ChangesEnd | null;
  /** Lower-cased emails users failed for because another user holds them (kept with the cursor). */
  emailConflicts: string[];
};

/**
 * One run of a connection (spec §4): read the directory (everything, or the changes since
 * the last clean run) page by page → plan each user → queue the decisions for the writer →
 * write → (after a complete read only) delete within the limit → mirror the selected groups
 * → finish. A preview plans and counts, and writes nothing.
 */
export async function synchronize(
  deps: CoreDeps,
  target: SyncTarget,
  mode: SyncMode,
  signal?: AbortSignal,
  /** Set when a run must read everything after all (a refused cursor, a freed email). */
  resync?: FullReason,
): Promise<SyncResult> {
  const run = await setUpRun(deps, target, mode, signal, resync);
  const { tally, queue, store, planner, options, progress } = run;
  const known = new Set(target.changes?.emailConflicts ?? []);
  let pass: ReadPass | null = null;
  const finish = (outcome: SyncResult["outcome"], error: string | null = null, pending = 0) => ({
    ...tally.result(outcome, error, pending),
    mode: run.read.mode,
    fullReason: run.read.mode === "full" ? run.read.fullReason : null,
    cursor: pass?.cursor ?? null,
    // A run reading changes does not see the users that failed before: it keeps them.
    emailConflicts: [...new Set([...(run.incremental ? known : []), ...(pass?.conflicts ?? [])])],
  });
  try {
    pass = await readPass(deps, target, run);
  } catch (caught) {
    run.stopReading();
    // An incomplete read keeps what was decided before it and deletes nobody (spec §4.1).
    const error = signal?.reason instanceof LeaseLostError ? signal.reason : caught;
    const settled = (await queue?.salvage(error)) ?? error;
    if (run.incremental && isResyncRequired(settled))
      return synchronize(deps, target, mode, signal, settled.reason);
    return finish("failed", failureReason(settled));
  }
  try {
    if (options.manageUserDeletion) {
      progress.phase("deleting");
      const deletion = planDeletions({
        activeBefore: deletionCandidatesOf(run, pass, target),
        activeCount: run.activeCount,
        seen: planner.seen,
        limit: options.deletionLimit,
        limitLifted: !mode.dryRun && mode.deletionLimitLifted,
        administrators: run.takeover.remainingAdministrators(),
      });
      signal?.throwIfAborted(); // a cancelled run deletes (and counts as deleted) nobody
      tally.deletions(deletion.users, deletion.kind === "delete");
      if (deletion.kind === "review") {
        const error = `${deletion.users.length} users would be deleted, more than the limit of ${deletion.limit}. An administrator must confirm.`;
        await store?.recordPendingDeletions(deletion.users);
        return finish("needs_review", error, deletion.users.length);
      }
      await store?.deleteUsers(deletion.users, deletion.kept.map(keptAdministrator));
      for (const user of deletion.users) planner.freedEmails.add(user.email.toLowerCase());
    }
    progress.phase("groups");
    if (store) await mirrorGroups(store, target, run.input);
  } catch (error) {
    return finish("failed", failureReason(error));
  }
  // A user who failed for another's email did not change, so changes alone never retry it.
  const conflicts = new Set([...known, ...pass.conflicts]);
  if (run.incremental && [...planner.freedEmails].some((email) => conflicts.has(email))) {
    await store?.clearIssues();
    const full = await synchronize(deps, target, mode, signal, "email_conflict_freed");
    return withChangesOf(finish("succeeded"), full);
  }
  if (tally.held > 0) return finish("needs_review", heldForReview(tally.held));
  return finish(tally.counts.failed > 0 ? "completed_with_errors" : "succeeded");
}

/**
 * Whom the deletion rules consider: the connection's active users before a full run; for a
 * run reading changes, which knows only the users they name, those the changes say are gone.
 */
function deletionCandidatesOf(run: RunSetup, pass: ReadPass, target: SyncTarget) {
  if (!run.incremental) return run.activeBefore;
  return run.index
    .activeOfConnection(target.connectionId)
    .filter((user) => user.externalId !== null && pass.gone.has(user.externalId));
}

/**
 * A run that read its changes, then everything: the changes both passes wrote, and the rest
 * of what the full read found (its failures supersede the first pass's, which it cleared).
 */
function withChangesOf(first: SyncResult, full: SyncResult): SyncResult {
  const counts = { ...full.counts };
  for (const kind of ["created", "updated", "restored", "deleted"] as const)
    counts[kind] += first.counts[kind];
  return { ...full, counts };
}
