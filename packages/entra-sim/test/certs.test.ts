import { describe, expect, test } from "bun:test";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_CERT_DIR, ensureCertificate } from "../src/index.ts";

const git = (...args: string[]) =>
  Bun.spawnSync(["git", ...args], { cwd: join(import.meta.dir, ".."), stdout: "pipe" });

describe("the simulator's certificate", () => {
  test("no private key is committed: the folder is ignored and generated on each machine", () => {
    expect(git("ls-files", DEFAULT_CERT_DIR).stdout.toString()).toBe("");
    expect(git("check-ignore", "-q", join(DEFAULT_CERT_DIR, "key.pem")).exitCode).toBe(0);
  });

  test("generated on first use: a key only its owner can read, that matches a localhost certificate", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "roster-sim-cert-")), ".certs");
    const [first, second] = await Promise.all([ensureCertificate(dir), ensureCertificate(dir)]);
    const again = await ensureCertificate(dir);
    // Two at once agree on one pair, and later calls reuse it.
    expect(first?.cert).toBe(second?.cert as string);
    expect(again).toEqual(first as NonNullable<typeof first>);
    expect((statSync(join(dir, "key.pem")).mode & 0o777).toString(8)).toBe("600");
    const certificate = new X509Certificate(again.cert);
    expect(certificate.checkPrivateKey(createPrivateKey(again.key))).toBe(true);
    expect(certificate.subjectAltName).toContain("DNS:localhost");
    expect(certificate.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(again.certPath).toBe(join(dir, "cert.pem"));
  });
});
