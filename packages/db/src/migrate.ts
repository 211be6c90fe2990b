import { fileURLToPath } from "node:url";
import { migrate } from "drizzle-orm/libsql/migrator";
import type { Database } from "./client.ts";

/** Applies the committed migrations; safe to call at every start-up. */
export async function migrateDb(db: Database): Promise<void> {
  // Resolved when called, not at load: a Workers bundle imports this module but never
  // migrates (migrations run by `bun run db:migrate` before a deploy).
  const migrationsFolder = fileURLToPath(new URL("../migrations", import.meta.url));
  await migrate(db, { migrationsFolder });
}
