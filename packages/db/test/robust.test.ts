import { describe, expect, test } from "bun:test";
import { chmodSync, statSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { createDb, isBusy, retryingBusy } from "../src/index.ts";
import { testTempDir } from "../src/testing/index.ts";

const freshFile = () => join(testTempDir("db-robust"), "roster.db");

/** Another process takes the write lock and keeps it for `ms`; resolves once it holds it. */
async function holdWriteLock(file: string, ms: number) {
  const child = Bun.spawn(
    ["bun", join(import.meta.dir, "fixtures", "hold-write-lock.ts"), file, String(ms)],
    {
      stdout: "pipe",
      stderr: "inherit",
    },
  );
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the lock holder exited early");
    text += new TextDecoder().decode(value);
  }
  return child;
}

async function withMarksTable(file: string) {
  const handle = await createDb({ url: `file:${file}` });
  await handle.client.execute("create table marks (id integer primary key, who text)");
  return handle;
}

describe("a busy database", () => {
  test("every connection of the pool waits for the lock, not only the first", async () => {
    const file = freshFile();
    const handle = await withMarksTable(file);
    // An open transaction holds the connection the pragmas ran on; the next call gets a new one.
    const reading = await handle.client.transaction("read");
    const holder = await holdWriteLock(file, 400);
    const started = performance.now();
    await handle.client.execute("insert into marks (who) values ('waiter')");
    expect(performance.now() - started).toBeGreaterThan(200);
    reading.close();
    await holder.exited;
    const rows = await handle.client.execute("select who from marks order by id");
    expect(rows.rows.map((row) => row.who)).toEqual(["holder", "waiter"]);
    handle.close();
  });

  test("a write still busy after the timeout is retried with backoff until the lock is free", async () => {
    const file = freshFile();
    (await withMarksTable(file)).close();
    const client = retryingBusy(createClient({ url: `file:${file}`, timeout: 50 }), {
      attempts: 8,
      firstDelayMs: 50,
    });
    const holder = await holdWriteLock(file, 500);
    const bare = createClient({ url: `file:${file}`, timeout: 50 });
    const refused = await bare.execute("insert into marks (who) values ('bare')").catch((e) => e);
    expect(isBusy(refused)).toBe(true);
    await client.batch(["insert into marks (who) values ('batch')"], "write");
    await holder.exited;
    const rows = await client.execute("select who from marks order by id");
    expect(rows.rows.map((row) => row.who)).toEqual(["holder", "batch"]);
    bare.close();
    client.close();
  });

  test("gives up after its attempts, and never retries an error that is not busy", async () => {
    const file = freshFile();
    (await withMarksTable(file)).close();
    const client = retryingBusy(createClient({ url: `file:${file}`, timeout: 10 }), {
      attempts: 3,
      firstDelayMs: 10,
    });
    const holder = await holdWriteLock(file, 1500);
    const gaveUp = await client.execute("insert into marks (who) values ('late')").catch((e) => e);
    expect(isBusy(gaveUp)).toBe(true);
    let calls = 0;
    const counting = retryingBusy(
      new Proxy(client, {
        get: (target, key) =>
          key === "execute"
            ? (sql: string) => {
                calls += 1;
                return target.execute(sql);
              }
            : Reflect.get(target, key),
      }),
    );
    await counting.execute("select * from no_such_table").catch(() => {});
    expect(calls).toBe(1);
    await holder.exited;
    client.close();
  });
});

describe("database files", () => {
  test("a new database, its WAL and shared-memory files are readable by their owner only", async () => {
    const file = freshFile();
    const handle = await withMarksTable(file);
    await handle.client.execute("insert into marks (who) values ('x')");
    for (const path of [file, `${file}-wal`, `${file}-shm`]) {
      expect({ path, mode: (statSync(path).mode & 0o777).toString(8) }).toEqual({
        path,
        mode: "600",
      });
    }
    handle.close();
  });

  test("a database created world-readable before is made private when opened", async () => {
    const file = freshFile();
    const first = await withMarksTable(file);
    first.close();
    chmodSync(file, 0o644);
    const again = await createDb({ url: `file:${file}` });
    expect((statSync(file).mode & 0o777).toString(8)).toBe("600");
    again.close();
  });
});
