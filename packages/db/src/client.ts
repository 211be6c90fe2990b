import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { openPageWriter, type PageWriter } from "./page-writer.ts";
import * as schema from "./schema/index.ts";

export type Database = LibSQLDatabase<typeof schema>;

export type DbHandle = {
  db: Database;
  /** The raw libSQL client, for bulk statements Drizzle's builder is too slow for. */
  client: Client;
  /**
   * For a local file: the handle's writer on its own thread, so bulk writes do not stop the
   * event loop. Shared; closed with the handle.
   */
  openPageWriter?: () => PageWriter;
  close(): void;
};

export const DEFAULT_DATABASE_URL = "file:./data/roster.db";

const BUSY_TIMEOUT_MS = 10_000;

/** Opens a libSQL database: a local file (its folder created) or a libSQL server by URL. */
export async function createDb(
  options: { url?: string; authToken?: string } = {},
): Promise<DbHandle> {
  const url = options.url ?? DEFAULT_DATABASE_URL;
  const localPath = localFilePath(url);
  if (localPath) mkdirSync(dirname(localPath), { recursive: true });
  // `timeout` is the busy timeout of every pooled connection: the client opens more than one
  // (a transaction holds its own), and the PRAGMA below reaches only the first, so without it
  // another process's write made later statements fail at once with SQLITE_BUSY.
  const client = createClient({
    url,
    authToken: options.authToken,
    ...(localPath ? { timeout: BUSY_TIMEOUT_MS } : {}),
  });
  if (localPath) {
    // WAL lets readers (the API) proceed while a sync writes; busy_timeout makes a second
    // process wait for the write lock instead of failing at once.
    await client.execute("PRAGMA journal_mode = WAL");
    await client.execute(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await client.execute("PRAGMA synchronous = NORMAL");
    // SQLite's default page cache is 2 MiB; with 100k users the indexes outgrow it and every
    // random-key insert becomes a disk read. 64 MiB keeps them in memory.
    await client.execute("PRAGMA cache_size = -65536");
    await client.execute("PRAGMA temp_store = MEMORY");
    // Checkpoint the WAL every ~80 MiB instead of every 4 MiB: a 100k-user sync commits a
    // page at a time, and frequent checkpoints cost it a third of its write time (measured).
    await client.execute("PRAGMA wal_autocheckpoint = 20000");
  }
  await client.execute("PRAGMA foreign_keys = ON");
  const db = drizzle(client, { schema, casing: "snake_case" });
  // One writer thread per handle, started on first use and kept for every later run.
  let writer: PageWriter | null = null;
  return {
    db,
    client,
    openPageWriter: localPath ? () => (writer ??= openPageWriter(url)) : undefined,
    close: () => {
      writer?.close();
      client.close();
    },
  };
}

function localFilePath(url: string): string | null {
  if (!url.startsWith("file:")) return null;
  const path = url.slice("file:".length).split("?")[0] ?? "";
  return path === "" || path === ":memory:" ? null : path;
}
