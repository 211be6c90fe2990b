import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT_PREFIX = "roster-test-";
/** A process's folder: the prefix, its pid, mkdtemp's suffix. */
const ROOT_NAME = /^roster-test-(\d+)-/;
let root: string | null = null;

/**
 * A fresh folder for a test's (or the bench's) database files, under one folder per process
 * that is removed when the process exits. A process that dies without exiting (a crash,
 * `kill -9`, bun test ending a file's dangling processes) leaves its folder; the next process
 * to ask for one removes every folder whose process is gone. Without this, test databases
 * and sqld data piled up in the temporary directory (55 GB after a few days here).
 */
export function testTempDir(prefix: string): string {
  root ??= openRoot();
  return mkdtempSync(join(root, `${prefix}-`));
}

function openRoot(): string {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(ROOT_NAME.exec(name)?.[1]);
    if (pid > 0 && !isAlive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const dir = mkdtempSync(join(tmpdir(), `${ROOT_PREFIX}${process.pid}-`));
  process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, someone else's.
    return (error as { code?: string }).code === "EPERM";
  }
}
