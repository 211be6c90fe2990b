/**
 * Builds the folder sqld's `--extensions-path` takes: Roster's page-cache extension
 * (`sqld/page-cache.c`, compiled with the machine's C compiler) and the `trusted.lst` that
 * names it by its sha256, as sqld requires before it loads anything.
 *
 *   bun run sqld:extensions DIR [CACHE_KIB]    then    sqld --extensions-path DIR ...
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** What the embedded file gets (client.ts): 64 MiB. */
export const SQLD_PAGE_CACHE_KIB = 65536;
const LIBRARY = "roster_page_cache.so";
// `-x c`: g++ alone is enough (a machine set up for node-gyp has it).
const COMPILERS = ["cc", "gcc", "clang", "g++"];

export type SqldExtensions = { dir: string } | { error: string };

export function buildSqldExtensions(dir: string, cacheKiB = SQLD_PAGE_CACHE_KIB): SqldExtensions {
  if (!Number.isInteger(cacheKiB) || cacheKiB < 2048)
    return { error: `the page cache must be a whole number of KiB, at least 2048: ${cacheKiB}` };
  mkdirSync(dir, { recursive: true });
  const library = join(dir, LIBRARY);
  const flags = ["-x", "c", "-O2", "-shared", "-fPIC", `-DROSTER_PAGE_CACHE_KIB=${cacheKiB}`];
  const failures: string[] = [];
  for (const compiler of COMPILERS) {
    if (!Bun.which(compiler)) continue;
    const source = join(import.meta.dir, "..", "sqld", "page-cache.c");
    const built = Bun.spawnSync([compiler, ...flags, "-o", library, source], { stderr: "pipe" });
    if (built.exitCode === 0) {
      const sha256 = createHash("sha256").update(readFileSync(library)).digest("hex");
      writeFileSync(join(dir, "trusted.lst"), `${sha256}  ${LIBRARY}\n`);
      return { dir: resolve(dir) };
    }
    failures.push(`${compiler}: ${built.stderr.toString().trim().slice(0, 500)}`);
  }
  return {
    error: failures.length
      ? `the extension did not compile (${failures.join("; ")})`
      : `no C compiler found (tried ${COMPILERS.join(", ")})`,
  };
}

if (import.meta.main) {
  const [dir, cache] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: bun run sqld:extensions DIR [CACHE_KIB]");
    process.exit(2);
  }
  const built = buildSqldExtensions(dir, cache === undefined ? undefined : Number(cache));
  if ("error" in built) {
    console.error(`sqld extensions not built: ${built.error}`);
    process.exit(1);
  }
  console.log(`built ${join(built.dir, LIBRARY)}; start sqld with --extensions-path ${built.dir}`);
}
