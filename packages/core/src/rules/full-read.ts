/** Why a run read the whole directory instead of only its changes (the run's `fullReason`). */
export type FullReason =
  /** The connector has no change reads. */
  | "not_supported"
  /** An administrator asked for a full run. */
  | "requested"
  /** No cursor yet: the connection's first run (or no run has finished cleanly). */
  | "first_run"
  /** The settings or scope changed: the cursor was dropped. */
  | "settings_changed"
  /** The cursor is older than the directory keeps change tracking (or it said so). */
  | "cursor_expired"
  /** The periodic full reconciliation that catches anything change reads missed. */
  | "reconciliation"
  /** The directory reset change tracking, refused the cursor, or it was for other settings. */
  | "directory_reset"
  | "cursor_invalid"
  | "scope_changed"
  /**
   * The changes freed an email that a user failed for (a duplicate, or taken): only a full
   * read finds that user again, since it did not change.
   */
  | "email_conflict_freed";

export type ReadMode = { mode: "full"; fullReason: FullReason } | { mode: "incremental" };

/** Graph keeps change tracking 7 days: a cursor older than 6 is not trusted (spec, issue 15). */
export const CURSOR_MAX_AGE_DAYS = 6;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Whether a run reads only the changes since the last clean run, or everything: everything
 * the first time, after a settings change, when the cursor is too old, when an administrator
 * asks, and every `fullSyncEveryDays` as a reconciliation that catches anything missed.
 */
export function chooseReadMode(input: {
  supportsChanges: boolean;
  requested: "full" | "incremental";
  cursorIssuedAt: Date | null;
  /** Why the cursor was dropped, if it was. */
  cursorDropped: "settings_changed" | null;
  /** When the last full run that finished cleanly started. */
  lastFullRunAt: Date | null;
  fullSyncEveryDays: number;
  now: Date;
}): ReadMode {
  if (!input.supportsChanges) return { mode: "full", fullReason: "not_supported" };
  if (input.requested === "full") return { mode: "full", fullReason: "requested" };
  if (!input.cursorIssuedAt)
    return { mode: "full", fullReason: input.cursorDropped ?? "first_run" };
  const age = input.now.getTime() - input.cursorIssuedAt.getTime();
  if (age > CURSOR_MAX_AGE_DAYS * DAY_MS) return { mode: "full", fullReason: "cursor_expired" };
  const sinceFull = input.lastFullRunAt
    ? input.now.getTime() - input.lastFullRunAt.getTime()
    : Infinity;
  if (sinceFull >= input.fullSyncEveryDays * DAY_MS)
    return { mode: "full", fullReason: "reconciliation" };
  return { mode: "incremental" };
}
