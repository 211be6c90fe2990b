import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { generate } from "selfsigned";

export type Certificate = { cert: string; key: string; certPath: string };

/** Where the wrapper and the simulator agree to keep the certificate (gitignored). */
export const DEFAULT_CERT_DIR = join(import.meta.dir, "..", ".certs");

/**
 * Loads the simulator's self-signed certificate from `dir`, creating it once. It names
 * `localhost` and `127.0.0.1`; callers trust it by setting `NODE_EXTRA_CA_CERTS` to
 * `certPath` before the process starts (Bun reads it at start-up only).
 */
export async function ensureCertificate(dir = DEFAULT_CERT_DIR): Promise<Certificate> {
  const certPath = join(dir, "cert.pem");
  const keyPath = join(dir, "key.pem");
  if (existsSync(certPath) && existsSync(keyPath)) {
    return { cert: readFileSync(certPath, "utf8"), key: readFileSync(keyPath, "utf8"), certPath };
  }
  mkdirSync(dir, { recursive: true });
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
  writeFileSync(keyPath, pems.private, { mode: 0o600 });
  writeFileSync(certPath, pems.cert);
  return { cert: pems.cert, key: pems.private, certPath };
}
