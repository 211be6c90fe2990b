import { join } from "node:path";
import { startSqld, testDbKind } from "./sqld.ts";
import { testTempDir } from "./temp-dir.ts";

export type TestDatabase = {
  kind: "file" | "sqld";
  /** A libSQL URL: `file:` in a fresh temporary folder (`testTempDir`), or a fresh sqld's `http://`. */
  url: string;
  /** The database file's path (file only): for tests that look at the file itself. */
  path: string | null;
  stop(): Promise<void>;
};

/**
 * A fresh, empty database of the kind `ROSTER_TEST_DB` names (`file`, the default, or
 * `sqld`): the switch by which `bun run test` runs the same suites on both.
 */
export async function createTestDatabase(
  name = "test",
  kind: "file" | "sqld" = testDbKind(),
): Promise<TestDatabase> {
  if (kind === "sqld") {
    const server = await startSqld();
    return { kind: "sqld", url: server.url, path: null, stop: server.stop };
  }
  const path = join(testTempDir(name), `${name}.db`);
  return { kind: "file", url: `file:${path}`, path, stop: async () => {} };
}
