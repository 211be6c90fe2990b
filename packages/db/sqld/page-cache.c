/*
 * A SQLite extension for sqld: each connection it opens gets a 64 MiB page cache.
 *
 * Why: sqld keeps SQLite's 2 MiB default and refuses `PRAGMA cache_size = ...` from clients.
 * Roster's users table has three indexes on random keys (email, PIN hash, directory id); at
 * 100k users each outgrows 2 MiB, so a full sync's inserts evict and rewrite index pages
 * thousands of times, into the WAL and sqld's replication log. With 64 MiB, as Roster gives
 * an embedded file, a 100k full sync on sqld went from 1.95x the file's time to 1.25x.
 *
 * sqld loads it on every connection when started with `--extensions-path DIR` (DIR holding
 * this library and a `trusted.lst` line with its sha256): `bun run sqld:extensions DIR`
 * builds both. It only runs that PRAGMA; the cache size in KiB is ROSTER_PAGE_CACHE_KIB.
 *
 * No sqlite3ext.h is needed: the extension API is a table of function pointers whose order
 * SQLite never changes (new entries are only appended); `exec` is entry 55.
 */
#ifndef ROSTER_PAGE_CACHE_KIB
#define ROSTER_PAGE_CACHE_KIB 65536
#endif
#define STRINGIFY(x) #x
#define PRAGMA_FOR(kib) "PRAGMA cache_size = -" STRINGIFY(kib)

typedef struct sqlite3 sqlite3;
typedef int (*exec_fn)(sqlite3 *, const char *, void *, void *, char **);
enum { EXEC_ENTRY = 55 };

#ifdef __cplusplus
extern "C"
#endif
int sqlite3_extension_init(sqlite3 *db, char **error, const void *api) {
  exec_fn exec = ((const exec_fn *)api)[EXEC_ENTRY];
  return exec(db, PRAGMA_FOR(ROSTER_PAGE_CACHE_KIB), 0, 0, error);
}
