import { expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createClient } from "@libsql/client";
import { createDb } from "../src/client.ts";
import { pageCacheKiB, serverCacheWarning } from "../src/page-cache.ts";
import { buildSqldExtensions } from "../src/sqld-extensions.ts";
import { startSqld } from "../src/testing/sqld.ts";
import { testTempDir } from "../src/testing/temp-dir.ts";

// sqld refuses `PRAGMA cache_size = …` from clients; its extension is the only way in.
test("sqld as shipped keeps SQLite's 2 MiB cache and refuses to change it, and Roster warns", async () => {
  const server = await startSqld({ stock: true });
  try {
    const client = createClient({ url: server.url });
    expect(await pageCacheKiB(client)).toBeLessThan(2100);
    await expect(client.execute("PRAGMA cache_size = -65536")).rejects.toThrow();
    expect(await serverCacheWarning(client)).toContain("--extensions-path");
    client.close();
  } finally {
    await server.stop();
  }
});

test("with Roster's extension every sqld connection has 64 MiB, and no warning", async () => {
  const built = buildSqldExtensions(testTempDir("extension-test"));
  // The test machine has a C compiler (node-gyp's); this test is what says so if it does not.
  expect(built).toHaveProperty("dir");
  const server = await startSqld();
  try {
    // Separate clients: separate sqld connections, each opened with the extension.
    for (let i = 0; i < 3; i += 1) {
      const client = createClient({ url: server.url });
      expect(await pageCacheKiB(client)).toBe(65536);
      expect(await serverCacheWarning(client)).toBeNull();
      client.close();
    }
  } finally {
    await server.stop();
  }
});

test("the extension's folder names it by sha256 in trusted.lst, as sqld requires", () => {
  const dir = testTempDir("extension-test");
  const built = buildSqldExtensions(dir, 32768);
  if (!("dir" in built)) throw new Error(built.error);
  const [sha256, name] = readFileSync(join(dir, "trusted.lst"), "utf8").trim().split(/\s+/);
  const library = readFileSync(join(dir, String(name)));
  expect(sha256).toBe(new Bun.CryptoHasher("sha256").update(library).digest("hex"));
});

test("a page cache under sqld's own is refused before anything is built", () => {
  const dir = join(testTempDir("extension-test"), "never");
  expect(buildSqldExtensions(dir, 100)).toEqual({
    error: "the page cache must be a whole number of KiB, at least 2048: 100",
  });
  expect(existsSync(dir)).toBe(false);
});

test("an embedded file has the same 64 MiB, set by Roster itself", async () => {
  const db = await createDb({ url: `file:${join(testTempDir("extension-test"), "roster.db")}` });
  expect(await pageCacheKiB(db.client)).toBe(65536);
  db.close();
});
