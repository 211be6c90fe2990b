import { expect, test } from "bun:test";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { migrate } from "drizzle-orm/libsql/migrator";
import { createDb, migrateDb } from "../src/index.ts";
import { createTestDatabase, testTempDir } from "../src/testing/index.ts";

const MIGRATIONS = join(import.meta.dir, "..", "migrations");
const SPLIT = "0013_outbox_bodies";

/** The migrations as they were before the bodies moved to their own table. */
function migrationsBeforeSplit(): string {
  const folder = join(testTempDir("migrations"), "migrations");
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as {
    entries: Array<{ tag: string }>;
  };
  journal.entries = journal.entries.filter((entry) => entry.tag < SPLIT);
  writeFileSync(journalPath, JSON.stringify(journal));
  rmSync(join(folder, `${SPLIT}.sql`));
  return folder;
}

test("upgrading moves every unsent body to outbox_bodies: no pending email loses its PIN", async () => {
  const database = await createTestDatabase("outbox-bodies");
  const handle = await createDb({ url: database.url });
  try {
    await migrate(handle.db, { migrationsFolder: migrationsBeforeSplit() });
    await handle.client.execute(`insert into outbox (id, "to", subject, kind, body_ciphertext,
        status, attempts, created_at) values
      ('eml_pending', 'a@b.test', 'Welcome', 'welcome', 'v1:pending-body', 'pending', 0, 1),
      ('eml_sent', 'c@d.test', 'Welcome', 'welcome', null, 'sent', 1, 2)`);

    await migrateDb(handle.db);

    const bodies = await handle.client.execute("select outbox_id, ciphertext from outbox_bodies");
    expect(bodies.rows.map((row) => [row.outbox_id, row.ciphertext])).toEqual([
      ["eml_pending", "v1:pending-body"],
    ]);
    const columns = await handle.client.execute("select name from pragma_table_info('outbox')");
    expect(columns.rows.map((row) => row.name)).not.toContain("body_ciphertext");
    const rows = await handle.client.execute("select id, status from outbox order by id");
    expect(rows.rows.map((row) => [row.id, row.status])).toEqual([
      ["eml_pending", "pending"],
      ["eml_sent", "sent"],
    ]);
    // Deleting an email deletes its body with it.
    await handle.client.execute("delete from outbox where id = 'eml_pending'");
    expect((await handle.client.execute("select * from outbox_bodies")).rows).toEqual([]);
  } finally {
    handle.close();
    await database.stop();
  }
});
