import { createClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql/web";
import { retryingBusy } from "./busy.ts";
import type { Database, DbHandle } from "./client.ts";
import * as schema from "./schema/index.ts";

/**
 * A libSQL server by `https://`/`http://` URL through `@libsql/client/web` (fetch only: no
 * file, no native driver, no thread), for a Workers runtime. Nothing waits at module load;
 * the client connects on its first statement. Migrations are not run here. No PRAGMA: over
 * HTTP each request is its own connection, and sqld enforces foreign keys on every one by
 * default (checked: `PRAGMA foreign_keys` is 1 on a fresh connection).
 */
export function createRemoteDb(options: { url: string; authToken?: string }): DbHandle {
  if (!/^(https?|libsql):/.test(options.url)) {
    // The scheme only: a URL may carry a token.
    const scheme = options.url.split(":")[0];
    throw new Error(`A Workers runtime needs an https:// or http:// database URL, not ${scheme}:`);
  }
  const client = retryingBusy(createClient({ url: options.url, authToken: options.authToken }));
  const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as Database;
  return { db, client, close: () => client.close() };
}
