/**
 * A worker that owns a second connection to a local database file and runs the sync's page
 * writes on it. libSQL's local driver is synchronous: on the main thread a page write stops
 * everything else; here it runs while the main thread reads and decides the next page.
 */
import type { InStatement } from "@libsql/client";
import { createDb } from "./client.ts";

declare const self: Worker;

type Request =
  | { url: string }
  | { id: number; statements: InStatement[]; returning?: boolean; read?: boolean };

let ready: ReturnType<typeof createDb> | null = null;

self.onmessage = async (event: MessageEvent<Request>) => {
  if ("url" in event.data) {
    // Its connection gets the same busy timeout and retries as the main one (client.ts).
    ready = createDb({ url: event.data.url });
    // A database that cannot be opened is reported with the first batch, not as an
    // unhandled rejection that would kill the worker.
    ready.catch(() => {});
    return;
  }
  const { id, statements, returning, read } = event.data;
  try {
    if (!ready) throw new Error("The page writer was not given a database.");
    const { client } = await ready;
    // A read runs on its own, no transaction: it must not take the write lock.
    const results = read
      ? await Promise.all(statements.map((statement) => client.execute(statement)))
      : await client.batch(statements, "write");
    // Rows by column name: libSQL's row objects do not survive postMessage as they are.
    const rows = returning
      ? results.map((result) =>
          result.rows.map((row) =>
            Object.fromEntries(result.columns.map((column, index) => [column, row[index]])),
          ),
        )
      : undefined;
    postMessage({
      id,
      ok: true,
      rowsAffected: results.map((result) => result.rowsAffected),
      rows,
    });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    postMessage({ id, ok: false, message: e.message ?? String(error), code: e.code ?? null });
  }
};
