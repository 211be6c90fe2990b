import type { InStatement } from "@libsql/client";
import type { ReturnedRows } from "@roster/db";
import type { CoreDeps } from "../context.ts";

/** One write transaction; each statement's `returning` rows come back by column name. */
export type OutboxWrite = (statements: InStatement[]) => Promise<ReturnedRows[]>;

/**
 * Where the dispatcher writes. On a local file: the writer thread, in turn with the syncs'
 * writes. libSQL's local driver is synchronous, so on the main connection a claim that waits
 * for a sync's write lock would stop the event loop (the API) for as long as that write.
 */
export function outboxWrites(deps: CoreDeps): OutboxWrite {
  const writer = deps.db.openPageWriter?.();
  if (writer?.returning) return (statements) => (writer.returning as OutboxWrite)(statements);
  return async (statements) => {
    const results = await deps.db.client.batch(statements, "write");
    return results.map((result) =>
      result.rows.map((row) =>
        Object.fromEntries(result.columns.map((column, index) => [column, row[index]])),
      ),
    );
  };
}
