import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";

const CHILD = join(import.meta.dir, "fixtures", "temp-dir-child.ts");

async function folderOf(child: Bun.Subprocess<"ignore", "pipe", "inherit">): Promise<string> {
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return new TextDecoder().decode(value).trim();
}

describe("test folders", () => {
  test("removed when their process exits; left by a kill -9, then swept by the next process", async () => {
    const exits = Bun.spawn(["bun", CHILD], { stdout: "pipe" });
    const exited = await folderOf(exits);
    await exits.exited;
    expect(existsSync(dirname(exited))).toBe(false);

    const killed = Bun.spawn(["bun", CHILD, "hold"], { stdout: "pipe" });
    const left = await folderOf(killed);
    const held = Bun.spawn(["bun", CHILD, "hold"], { stdout: "pipe" });
    const alive = await folderOf(held);
    killed.kill("SIGKILL");
    await killed.exited;
    expect(existsSync(left)).toBe(true);
    // A living process's folder is never swept; a dead one's is, by the next to start.
    const next = Bun.spawn(["bun", CHILD], { stdout: "pipe" });
    await folderOf(next);
    await next.exited;
    expect(existsSync(dirname(left))).toBe(false);
    expect(existsSync(alive)).toBe(true);
    held.kill();
    await held.exited;
  });
});
