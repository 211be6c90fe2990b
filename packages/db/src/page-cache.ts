import type { Client } from "@libsql/client";

/** The page cache of a connection in KiB: `cache_size` counts KiB when negative, pages when not. */
export async function pageCacheKiB(client: Client): Promise<number> {
  const size = Number((await client.execute("PRAGMA cache_size")).rows[0]?.[0]);
  if (size < 0) return -size;
  const pageSize = Number((await client.execute("PRAGMA page_size")).rows[0]?.[0]);
  return (size * pageSize) / 1024;
}

/** Below this, a 100k-user full sync on a libSQL server takes about twice its time on a file. */
const SMALL_CACHE_KIB = 16384;

/**
 * On a libSQL server, a warning when its connections keep a small page cache (sqld's is
 * SQLite's 2 MiB unless started with Roster's extension), or null. Read at start-up so an
 * operator learns it from the log, not from a slow first sync.
 */
export async function serverCacheWarning(client: Client): Promise<string | null> {
  const kib = await pageCacheKiB(client);
  if (kib >= SMALL_CACHE_KIB) return null;
  return (
    `the libSQL server's page cache is ${Math.round(kib / 1024)} MiB a connection: full syncs of ` +
    "large directories will write about twice as slowly as on a file. Start sqld with Roster's " +
    "page-cache extension (bun run sqld:extensions DIR, then sqld --extensions-path DIR); see " +
    "the README, Operating at scale."
  );
}
