/**
 * `bun plain-insert.ts N`: baseline (b) of the benchmark, run by run.ts in a process of its
 * own. Prints the seconds the insert took.
 */
import { join } from "node:path";
import { createDb, migrateDb } from "@roster/db";
import { testTempDir } from "@roster/db/testing";
import { timed } from "./measure.ts";

/**
 * Baseline (b): the same N user rows written the fastest plain way — one transaction of
 * multi-row inserts into Roster's own `users` table, with the indexes the spec requires
 * (unique email and PIN per tenant, directory id, paging), sequential ids, and emails, PIN
 * hashes and directory ids in random order as a real directory yields them.
 */
export async function plainInsert(count: number): Promise<number> {
  const dir = testTempDir("baseline");
  const { client, db, close } = await createDb({ url: `file:${join(dir, "plain.db")}` });
  await migrateDb(db);
  await client.execute(
    "insert into tenants (id, slug, name, created_at, updated_at) values ('t', 't', 't', 0, 0)",
  );
  const run = await timed(async () => {
    const tx = await client.transaction("write");
    for (let start = 0; start < count; start += 600) {
      const rows = Array.from({ length: Math.min(600, count - start) }, (_, i) => start + i);
      await tx.execute({
        sql: `insert into users (id, tenant_id, email, first_name, last_name, tags, sign_in, pin_hash, connection_id, external_id, created_at, updated_at) values ${rows.map(() => "(?,?,?,?,?,?,?,?,?,?,?,?)").join(",")}`,
        args: rows.flatMap((i) => [
          `usr_${String(i).padStart(12, "0")}`,
          "t",
          `user${i}@example.com`,
          "First",
          `Last${i}`,
          "[]",
          "microsoft",
          crypto.randomUUID(),
          "c",
          crypto.randomUUID(),
          i,
          i,
        ]),
      });
    }
    await tx.commit();
  });
  close();
  return run.seconds;
}

if (import.meta.main) {
  process.stdout.write(`${await plainInsert(Number(process.argv[2]))}\n`);
  process.exit(0);
}
