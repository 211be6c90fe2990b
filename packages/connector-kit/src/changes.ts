import type { DirectoryUser } from "./connector.ts";
import { ConnectorError } from "./errors.ts";

/**
 * Incremental reads ("delta"): the optional `readChanges` capability of a connector.
 *
 * Contract the engine relies on:
 * - `readChanges(input, null)` starts tracking: it is a COMPLETE read of the scope, exactly like
 *   `readUsers` (every user in scope once in `upserted`, `removed` always empty; a user it does
 *   not return is not in the directory), and it ends with a cursor from which the next call
 *   returns only what changed after this read began. A full run of a connector that has the
 *   capability reads through it, so the full state and the cursor come from one read.
 * - `readChanges(input, cursor)` returns only the changes since the round that produced
 *   `cursor`: each changed user once, as its latest state, and each user that left (deleted,
 *   soft-deleted, or out of the connection's scope). Users not mentioned are unchanged.
 * - Users in `upserted` are always FULL `DirectoryUser` objects, never partial: the engine
 *   replaces what it stored. (Graph delta without `Prefer: return=minimal` returns every
 *   selected property of a changed object and omits only properties never set, which are
 *   `null`; a cleared property comes back as `null`. So the connector builds full users
 *   without keeping state, and "absent" means "unset", not "unknown".)
 * - Within one call an `externalId` appears at most once across all pages, in `upserted` or in
 *   `removed` (the connector merges the directory's replays by id; the last state wins).
 * - The next cursor is the generator's RETURN value (`ChangesEnd`), reached only when every
 *   page was read: a read that throws has no next cursor, and the engine keeps the old one.
 *   The engine persists the new cursor only after its run finished cleanly (not after a
 *   preview, a failure, `needs_review` or a cancellation): the same cursor replays the same
 *   changes, so repeating a round loses and doubles nothing (every change is idempotent).
 * - A cursor the directory no longer honours throws `ResyncRequiredError` (a
 *   `ConnectorError` with code `resync_required` and a `reason`): drop the cursor and run a
 *   full read (`readChanges(input, null)`), recording the reason. Any other failure throws a
 *   plain `ConnectorError`, as `readUsers` does; the cursor stays valid.
 * - The cursor is an opaque string (it may be large: the Entra connector keeps the selected
 *   groups' tree in it); store it encrypted, with `issuedAt`.
 */

/** Why a user left: Graph's two `@removed` reasons, or the connection's scope. */
export type RemovalReason =
  /** Soft-deleted in the directory (Entra: restorable from deleted items for 30 days). */
  | "changed"
  /** Permanently deleted in the directory. */
  | "deleted"
  /** Still in the directory but no longer in scope (e.g. left every selected group). */
  | "left_scope";

export type DirectoryRemoval = { externalId: string; reason: RemovalReason };

/** One page of changes. Either list may be empty; a page with both empty is possible. */
export type DirectoryChanges = {
  /** Created, updated, restored, enabled, disabled or newly in scope: the full current user. */
  upserted: DirectoryUser[];
  /** No longer in the directory's scope: a full read would not return them. */
  removed: DirectoryRemoval[];
};

/** What a finished read of changes returns. */
export type ChangesEnd = {
  /** Opaque; pass it to the next `readChanges`. */
  cursor: string;
  /**
   * When the directory issued the state this cursor stands for (the oldest of its tokens).
   * Graph keeps change tracking for 7 days: past 6 days, read everything instead.
   */
  issuedAt: Date;
};

/** Pages of changes; the return value is the next cursor (`for await` discards it). */
export type ChangeStream = AsyncGenerator<DirectoryChanges, ChangesEnd, undefined>;

/** Why a cursor can no longer be used (the run's `fullReason`). */
export type ResyncReason =
  /** The directory expired the change-tracking state (Graph: 400 `syncStateNotFound`). */
  | "cursor_expired"
  /** The directory reset change tracking (Graph: 410 Gone, `resyncRequired`). */
  | "directory_reset"
  /** The cursor is unreadable or the directory calls it invalid (`syncStateInvalid`). */
  | "cursor_invalid"
  /** The cursor was made for other settings (scope, groups or requested fields). */
  | "scope_changed";

/** The cursor is no longer valid: read everything with `readChanges(input, null)`. */
export class ResyncRequiredError extends ConnectorError {
  readonly reason: ResyncReason;

  constructor(reason: ResyncReason, message: string, details?: Record<string, unknown>) {
    super("resync_required", message, { reason, ...details });
    this.name = "ResyncRequiredError";
    this.reason = reason;
  }
}

export const isResyncRequired = (error: unknown): error is ResyncRequiredError =>
  error instanceof ResyncRequiredError;

/**
 * Drains a change stream page by page and returns its cursor: the loop the engine (and tests)
 * need, since `for await` drops a generator's return value.
 */
export async function forEachChange(
  stream: ChangeStream,
  onPage: (page: DirectoryChanges) => void | Promise<void>,
): Promise<ChangesEnd> {
  for (;;) {
    const next = await stream.next();
    if (next.done) return next.value;
    await onPage(next.value);
  }
}
