import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** A 32-byte key and its short id (stored beside each ciphertext so keys can rotate). */
export type SecretKey = { id: string; bytes: Buffer };

/** Encrypts with the current key; decrypts with whichever key a ciphertext names. */
export type Keyring = {
  current: SecretKey;
  encrypt(plaintext: string): string;
  decrypt(ciphertext: string): string;
  /** Keyed hash of a PIN: lets the database enforce uniqueness without holding the PIN. */
  hashPin(tenantId: string, pin: string): string;
};

const VERSION = "v1";

export function parseSecretKey(base64: string): SecretKey {
  const bytes = Buffer.from(base64.trim(), "base64");
  if (bytes.length !== 32) {
    throw new Error(
      "ROSTER_SECRET_KEY must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)",
    );
  }
  return { id: createHash("sha256").update(bytes).digest("hex").slice(0, 8), bytes };
}

/** Reads the key file, or creates it once with a fresh random key, readable by the owner only. */
export function readOrCreateKeyFile(path: string): SecretKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    chmodSync(path, 0o600);
  }
  return parseSecretKey(readFileSync(path, "utf8"));
}

export function createKeyring(current: SecretKey, previous: readonly SecretKey[] = []): Keyring {
  const byId = new Map([current, ...previous].map((key) => [key.id, key]));
  const pinKey = createHmac("sha256", current.bytes).update("roster:pin").digest();

  return {
    current,
    encrypt(plaintext) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", current.bytes, iv);
      const body = Buffer.concat([
        cipher.update(plaintext, "utf8"),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return [VERSION, current.id, iv.toString("base64"), body.toString("base64")].join(":");
    },
    decrypt(ciphertext) {
      const [version, keyId, iv, body] = ciphertext.split(":");
      const key = keyId ? byId.get(keyId) : undefined;
      if (version !== VERSION || !key || !iv || !body) {
        throw new Error("Cannot decrypt: unknown format or key (was ROSTER_SECRET_KEY changed?)");
      }
      const data = Buffer.from(body, "base64");
      const decipher = createDecipheriv("aes-256-gcm", key.bytes, Buffer.from(iv, "base64"));
      decipher.setAuthTag(data.subarray(data.length - 16));
      return Buffer.concat([
        decipher.update(data.subarray(0, data.length - 16)),
        decipher.final(),
      ]).toString("utf8");
    },
    hashPin(tenantId, pin) {
      return createHmac("sha256", pinKey).update(`${tenantId}:${pin}`).digest("base64url");
    },
  };
}
