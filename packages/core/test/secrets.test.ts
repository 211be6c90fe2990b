import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { testTempDir } from "@roster/db/testing";
import { createKeyring, parseSecretKey, readOrCreateKeyFile } from "../src/secrets.ts";

const freshKey = () => parseSecretKey(randomBytes(32).toString("base64"));

describe("secrets", () => {
  test("creates the key file once, readable by its owner only", () => {
    const path = join(testTempDir("key"), "data", "secret.key");
    const first = readOrCreateKeyFile(path);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readOrCreateKeyFile(path).id).toBe(first.id);
    expect(readFileSync(path, "utf8").trim()).toHaveLength(44);
  });

  test("refuses a key that is not 32 bytes", () => {
    expect(() => parseSecretKey(Buffer.from("short").toString("base64"))).toThrow(/32 bytes/);
  });

  test("encrypts with a random nonce and decrypts back", () => {
    const keyring = createKeyring(freshKey());
    const a = keyring.encrypt("client-secret-value");
    const b = keyring.encrypt("client-secret-value");
    expect(a).not.toBe(b);
    expect(a).not.toContain("client-secret-value");
    expect(keyring.decrypt(a)).toBe("client-secret-value");
  });

  test("decrypts with a previous key after rotation, by the key id in the ciphertext", () => {
    const old = freshKey();
    const sealed = createKeyring(old).encrypt("s3cret");
    const rotated = createKeyring(freshKey(), [old]);
    expect(rotated.decrypt(sealed)).toBe("s3cret");
    expect(() => createKeyring(freshKey()).decrypt(sealed)).toThrow(/unknown format or key/);
  });

  test("detects a tampered ciphertext", () => {
    const keyring = createKeyring(freshKey());
    const [version, id, iv, body] = keyring.encrypt("s3cret").split(":");
    const flipped = Buffer.from(body ?? "", "base64");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() =>
      keyring.decrypt([version, id, iv, flipped.toString("base64")].join(":")),
    ).toThrow();
  });

  test("hashes a PIN per tenant without revealing it", () => {
    const keyring = createKeyring(freshKey());
    const hash = keyring.hashPin("ten_a", "123456");
    expect(hash).toBe(keyring.hashPin("ten_a", "123456"));
    expect(hash).not.toBe(keyring.hashPin("ten_b", "123456"));
    expect(hash).not.toContain("123456");
  });
});
