import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { type Client, createClient } from "@libsql/client";
import { drizzle, type LibSQLDatabase } from "drizzle-orm/libsql";
import { BUSY_TIMEOUT_MS, retryingBusy } from "./busy.ts";
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

/** Opens a libSQL database: a local file (its folder created) or a libSQL server by URL. */
export async function createDb(
  options: { url?: string; authToken?: string } = {},
): Promise<DbHandle> {
  const url = options.url ?? DEFAULT_DATABASE_URL;
  const localPath = localFilePath(url);
  if (localPath) createPrivateFile(localPath);
  // `timeout` is the busy timeout of every connection libSQL opens for this client: its
  // local driver keeps a pool, and a `PRAGMA busy_timeout` would reach only one of them (the
  // others failed SQLITE_BUSY at once). Remote URLs ignore it: the server takes the locks.
  // Whatever still comes back busy is retried (busy.ts), locally and remotely alike.
  const client = retryingBusy(
    createClient({ url, authToken: options.authToken, timeout: BUSY_TIMEOUT_MS }),
  );
  if (localPath) {
    // WAL lets readers (the API) proceed while a sync writes.
    await client.execute("PRAGMA journal_mode = WAL");
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
  if (localPath) makePrivate(localPath);
  const db = drizzle(client, { schema, casing: "snake_case" });
  // One writer thread per handle, started on first use and kept for every later run.
  let writer: PageWriter | null = null;
  return {
    db,
    client,
    // A writer whose thread stopped is replaced, so one crash fails one run, not every later one.
    openPageWriter: localPath
      ? () => {
          if (!writer?.alive) writer = openPageWriter(url);
          return writer;
        }
      : undefined,
    close: () => {
      writer?.close();
      client.close();
    },
  };
}

/**
 * The database holds password hashes and encrypted secrets: only its owner may read it.
 * An empty file created 0600 is a valid new database, and SQLite gives its -wal and -shm
 * files the mode of the database file.
 */
function createPrivateFile(path: string) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, "a", 0o600));
}

/** Also a database created before files were private: the file, its WAL and shared memory. */
function makePrivate(path: string) {
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

function localFilePath(url: string): string | null {
  if (!url.startsWith("file:")) return null;
  const path = url.slice("file:".length).split("?")[0] ?? "";
  return path === "" || path === ":memory:" ? null : path;
}
