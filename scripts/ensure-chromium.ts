/**
 * Run before the tests (`bun run test`): the browser test drives Debian's Chromium at
 * /usr/bin/chromium (or CHROMIUM_PATH), never a downloaded browser. When it is missing and
 * this process may install it (root, with apt-get), it installs Debian's package; otherwise
 * it stops with the one command to run. It never lets the browser test be skipped silently.
 */
import { accessSync, constants } from "node:fs";

export const INSTALL_COMMAND = "apt-get update && apt-get install -y chromium";

export type ChromiumPlan =
  | { kind: "ready"; path: string }
  | { kind: "install"; path: string }
  | { kind: "fail"; message: string };

/** What to do, from what the machine has. */
export function planChromium(machine: {
  path: string;
  executable: boolean;
  root: boolean;
  aptGet: boolean;
}): ChromiumPlan {
  if (machine.executable) return { kind: "ready", path: machine.path };
  if (machine.root && machine.aptGet && machine.path === DEFAULT_PATH) {
    return { kind: "install", path: machine.path };
  }
  const command = machine.root ? INSTALL_COMMAND : `sudo sh -c '${INSTALL_COMMAND}'`;
  const why =
    machine.path === DEFAULT_PATH
      ? machine.aptGet
        ? "and this user may not install packages"
        : "and apt-get is not available (Debian or Ubuntu is needed for Debian's Chromium)"
      : "(CHROMIUM_PATH names it; unset CHROMIUM_PATH to use Debian's package)";
  return {
    kind: "fail",
    message: `The browser tests need Chromium at ${machine.path}, which is missing ${why}. Run:\n\n  ${command}\n\nthen run the tests again.`,
  };
}

const DEFAULT_PATH = "/usr/bin/chromium";

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const path = process.env.CHROMIUM_PATH || DEFAULT_PATH;
  const plan = planChromium({
    path,
    executable: isExecutable(path),
    root: process.getuid?.() === 0,
    aptGet: Bun.which("apt-get") !== null,
  });
  if (plan.kind === "fail") {
    process.stderr.write(`\n${plan.message}\n`);
    process.exit(1);
  }
  if (plan.kind === "install") {
    process.stdout.write(
      `Installing Debian's Chromium for the browser tests: ${INSTALL_COMMAND}\n`,
    );
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = Bun.spawnSync(["apt-get", "update", "-qq"], {
      env,
      stdio: ["ignore", "inherit", "inherit"],
    });
    const install =
      update.exitCode === 0
        ? Bun.spawnSync(["apt-get", "install", "-y", "-qq", "chromium"], {
            env,
            stdio: ["ignore", "inherit", "inherit"],
          })
        : update;
    if (install.exitCode !== 0 || !isExecutable(path)) {
      process.stderr.write(
        `\nInstalling Chromium failed (apt-get exited ${install.exitCode}). Run:\n\n  ${INSTALL_COMMAND}\n\nthen run the tests again.\n`,
      );
      process.exit(1);
    }
  }
}
