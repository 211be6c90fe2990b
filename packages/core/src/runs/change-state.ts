import type { ChangesEnd } from "@roster/connector-kit";
import { type Connection, connections, syncRuns } from "@roster/db";
import { and, eq, inArray, max, ne } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import type { ChangeState } from "../sync/synchronize.ts";

/** Where a connection's change reads stand: its cursor and its last clean full run. */
export async function changeStateOf(deps: CoreDeps, connection: Connection): Promise<ChangeState> {
  const [lastFull] = await deps.db.db
    .select({ at: max(syncRuns.startedAt) })
    .from(syncRuns)
    .where(
      and(
        eq(syncRuns.connectionId, connection.id),
        eq(syncRuns.mode, "full"),
        // A provision run reads one user: it is no reconciliation.
        ne(syncRuns.trigger, "provision"),
        inArray(syncRuns.outcome, ["succeeded", "completed_with_errors"]),
      ),
    );
  return {
    cursor: connection.deltaCursorCiphertext
      ? deps.keyring.decrypt(connection.deltaCursorCiphertext)
      : null,
    issuedAt: connection.deltaCursorIssuedAt,
    dropped: connection.deltaCursorDropped,
    lastFullRunAt: lastFull?.at ?? null,
    emailConflicts: connection.deltaEmailConflicts,
  };
}

/**
 * Keeps the cursor of a run that finished cleanly, encrypted like the secret (it names the
 * directory's objects). Only then: a failed, cancelled or reviewed run leaves the old cursor,
 * so the next run — or the confirmation of the review — sees the same changes again.
 */
export async function keepCursor(
  deps: CoreDeps,
  connectionId: string,
  end: ChangesEnd,
  runStartedAt: Date,
  emailConflicts: string[],
): Promise<void> {
  // The older of the directory's date and this run's start: the 6-day rule then holds even
  // when the directory's clock runs ahead of ours.
  const issuedAt = end.issuedAt < runStartedAt ? end.issuedAt : runStartedAt;
  await deps.db.db
    .update(connections)
    .set({
      deltaCursorCiphertext: deps.keyring.encrypt(end.cursor),
      deltaCursorIssuedAt: issuedAt,
      deltaCursorDropped: null,
      deltaEmailConflicts: emailConflicts,
    })
    .where(eq(connections.id, connectionId));
}
