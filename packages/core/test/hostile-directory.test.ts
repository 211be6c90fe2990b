import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createDb } from "@roster/db";
import { testTempDir } from "@roster/db/testing";
import fc from "fast-check";
import { jsonRows } from "../src/sync/store/sql.ts";

/** Decodes SQLite's `hex(column)` as strict UTF-8: throws on bytes that are not UTF-8. */
const strictUtf8 = (hex: string) =>
  new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(hex, "hex"));

describe("the bulk write path", () => {
  test("stores any string as well-formed UTF-8 without NUL and reads it back as stored", async () => {
    const dir = testTempDir("bulk-text");
    const db = await createDb({ url: `file:${join(dir, "bulk.db")}` });
    await db.client.execute("create table texts (id integer primary key, a text, b text)");
    let next = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.string({ unit: "binary", maxLength: 40 }),
            fc.oneof(fc.string({ unit: "binary" }), fc.constant("a\ud800b"), fc.constant("\udc00")),
          ),
          { minLength: 1, maxLength: 20 },
        ),
        async (rows) => {
          const first = next;
          const bound = rows.map(([a, b]) => [next++, a, b]);
          // The JSON every bulk statement of a run binds, unpacked as the store unpacks it.
          await db.client.execute({
            sql: "insert into texts (id, a, b) select value ->> 0, value ->> 1, value ->> 2 from json_each(?)",
            args: [jsonRows(bound)],
          });
          // Checked as bytes first, so that invalid UTF-8 fails here instead of aborting libsql.
          const stored = await db.client.execute({
            sql: "select hex(a) as a, hex(b) as b from texts where id >= ? order by id",
            args: [first],
          });
          expect(
            stored.rows.map((row) => [strictUtf8(row.a as string), strictUtf8(row.b as string)]),
          ).toEqual(
            rows.map(([a, b]) => [
              a.toWellFormed().replaceAll("\u0000", ""),
              b.toWellFormed().replaceAll("\u0000", ""),
            ]),
          );
          const read = await db.client.execute({
            sql: "select a, b from texts where id >= ? order by id",
            args: [first],
          });
          expect(read.rows.map((row) => [row.a, row.b])).toEqual(
            rows.map(([a, b]) => [
              a.toWellFormed().replaceAll("\u0000", ""),
              b.toWellFormed().replaceAll("\u0000", ""),
            ]),
          );
        },
      ),
      { numRuns: 300 },
    );
    const invalid = await db.client.execute(
      "select count(*) as n from texts where cast(cast(a as blob) as text) is not a",
    );
    expect(invalid.rows[0]?.n).toBe(0);
    db.close();
  });
});

describe("a hostile directory", () => {
  // Before the fix, reading back a user whose name held a lone surrogate aborted the process
  // (and every restart after): so the sync and the read run in a child process.
  test("a lone surrogate, NUL, a huge name and injected mail: the sync completes and everything reads back", async () => {
    const child = Bun.spawn(
      ["bun", join(import.meta.dir, "fixtures", "hostile-directory-sync.ts")],
      {
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const [out, err, code] = await Promise.all([
      new Response(child.stdout).text(),
      new Response(child.stderr).text(),
      child.exited,
    ]);
    expect({ code, err: code === 0 ? "" : err.slice(0, 2000) }).toEqual({ code: 0, err: "" });
    const result = JSON.parse(out) as {
      outcome: string;
      failures: Array<{ code: string; externalId: string }>;
      users: Array<{ externalId: string; email: string; firstName: string; lastName: string }>;
      aliases: string[];
    };
    const byId = new Map(result.users.map((user) => [user.externalId, user]));
    const hostile = (n: number) => `dddddddd-0000-4000-8000-${String(n).padStart(12, "0")}`;
    expect(byId.get(hostile(1))).toMatchObject({ firstName: "Ann", lastName: "\ufffdLee" });
    expect(result.aliases).toContain("Ann\ufffd Lee");
    // A 5,000-character display name makes an alias of 256.
    expect(byId.has(hostile(2))).toBe(true);
    expect(result.aliases).toContain("x".repeat(256));
    expect(Math.max(...result.aliases.map((alias) => alias.length))).toBe(256);
    // A mail with CRLF or a list is not an address: those users fail, nobody gets mail there.
    const failed = (n: number) =>
      result.failures.find((failure) => failure.externalId === hostile(n));
    expect(failed(3)?.code).toBe("invalid_email");
    expect(failed(4)?.code).toBe("invalid_email");
    expect(result.users.some((user) => /victim|one@|two@/.test(user.email))).toBe(false);
  }, 60_000);
});
