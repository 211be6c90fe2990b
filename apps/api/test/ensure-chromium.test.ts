import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { INSTALL_COMMAND, planChromium } from "../../../scripts/ensure-chromium.ts";

const SCRIPT = join(import.meta.dir, "..", "..", "..", "scripts", "ensure-chromium.ts");
const machine = { path: "/usr/bin/chromium", executable: false, root: false, aptGet: true };

describe("the test command's Chromium", () => {
  test("present: nothing to do; missing as root with apt-get: Debian's package is installed", () => {
    expect(planChromium({ ...machine, executable: true }).kind).toBe("ready");
    expect(planChromium({ ...machine, root: true }).kind).toBe("install");
  });

  test("missing and not installable: fails with the one command to run, never a skip", () => {
    const notRoot = planChromium(machine);
    expect(notRoot.kind).toBe("fail");
    expect(notRoot.kind === "fail" && notRoot.message).toContain(`sudo sh -c '${INSTALL_COMMAND}'`);
    const noApt = planChromium({ ...machine, root: true, aptGet: false });
    expect(noApt.kind === "fail" && noApt.message).toContain("apt-get is not available");
    // A CHROMIUM_PATH that names nothing is never "fixed" by installing something else.
    const custom = planChromium({ ...machine, path: "/opt/none/chromium", root: true });
    expect(custom.kind).toBe("fail");
  });

  test("the script exits non-zero with the command when Chromium cannot be found", () => {
    const run = Bun.spawnSync(["bun", SCRIPT], {
      env: { ...process.env, CHROMIUM_PATH: "/nonexistent/chromium" },
      stderr: "pipe",
    });
    expect(run.exitCode).toBe(1);
    expect(run.stderr.toString()).toContain(INSTALL_COMMAND);
  });

  test("the workspace's test command runs it before any test", async () => {
    const root = await Bun.file(join(import.meta.dir, "..", "..", "..", "package.json")).json();
    expect(root.scripts.test).toStartWith("bun scripts/ensure-chromium.ts && turbo run test");
  });
});
