import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { generate } from "selfsigned";

export type Certificate = { cert: string; key: string; certPath: string };

/**
 * Where the wrapper and the simulator agree to keep the certificate. Gitignored and never
 * committed: the folder holds the CA's private key, generated on this machine on first use.
 */
export const DEFAULT_CERT_DIR = join(import.meta.dir, "..", ".certs");

/**
 * Loads the simulator's self-signed certificate from `dir`, creating it once. It names
 * `localhost` and `127.0.0.1`; callers trust it by setting `NODE_EXTRA_CA_CERTS` to
 * `certPath` before the process starts (Bun reads it at start-up only).
 */
export async function ensureCertificate(dir = DEFAULT_CERT_DIR): Promise<Certificate> {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  const stored = () => ({
    cert: readFileSync(certPath, "utf8"),
    key: readFileSync(keyPath, "utf8"),
    certPath,
  });
  if (existsSync(certPath) && existsSync(keyPath)) return stored();
  const pems = await generate([{ name: "commonName", value: "localhost" }], {
    keySize: 2048,
    notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    extensions: [
      { name: "basicConstraints", cA: true },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  // Written into a private staging folder renamed into place whole, so that two processes
  // starting at once (the wrapper, a test) never pair one's key with the other's certificate.
  mkdirSync(dirname(dir), { recursive: true });
  const staging = mkdtempSync(`${dir}-`);
  writeFileSync(join(staging, "key.pem"), pems.private, { mode: 0o600 });
  writeFileSync(join(staging, "cert.pem"), pems.cert);
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process was first: use its pair
  }
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    throw new Error(
      `${dir} holds no certificate and key; delete the folder to generate them again.`,
    );
  }
  return stored();
}
