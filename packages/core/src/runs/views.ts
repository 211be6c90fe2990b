import type { SyncRun, SyncRunIssue } from "@roster/db";
import { iso } from "../paging.ts";

export type RunView = ReturnType<typeof runView>;

export const runView = (run: SyncRun) => ({
  id: run.id,
  connectionId: run.connectionId,
  trigger: run.trigger,
  triggeredBy: run.triggeredBy,
  outcome: run.outcome,
  error: run.error,
  deletionLimitLifted: run.deletionLimitLifted,
  pendingDeletions: run.pendingDeletions,
  startedAt: iso(run.startedAt) as string,
  finishedAt: iso(run.finishedAt),
  counts: run.counts,
  mode: run.mode,
  fullReason: run.fullReason,
  /** Live while running (phase, pages and users read, counts); the last value after. */
  progress: run.progress ?? null,
  cancelRequested: run.cancelRequestedAt !== null,
});

/** Any issue of a run, as the issues list and its CSV show it. */
export const issueView = (issue: SyncRunIssue) => ({
  id: issue.id,
  kind: issue.kind,
  externalId: issue.externalId,
  email: issue.email,
  displayName: issue.displayName,
  code: issue.code,
  message: issue.message,
});

export const failureView = (issue: SyncRunIssue) => ({
  externalId: issue.externalId,
  email: issue.email,
  displayName: issue.displayName,
  code: issue.code,
  reason: issue.message,
});

export const warningView = (issue: SyncRunIssue) => ({
  externalId: issue.externalId,
  email: issue.email,
  code: issue.code,
  message: issue.message,
});

/** A user the run held back until an administrator confirms or leaves it alone. */
export const heldView = (issue: SyncRunIssue) => ({
  userId: issue.userId,
  externalId: issue.externalId,
  email: issue.email,
  displayName: issue.displayName,
  reason: issue.message,
});
