import { describe, expect, test } from "bun:test";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "../src/index.ts";

describe("portable password hashes (argon2id through WebAssembly)", () => {
  test("a hash made by Bun.password before still verifies; a wrong password does not", async () => {
    const before = await Bun.password.hash("correct horse battery", { algorithm: "argon2id" });
    expect(await verifyPassword("correct horse battery", before)).toBe(true);
    expect(await verifyPassword("correct horse batterz", before)).toBe(false);
  });

  test("a new hash has Bun.password's parameters, and Bun.password verifies it too", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).toMatch(
      /^\$argon2id\$v=19\$m=65536,t=2,p=1\$[A-Za-z0-9+/]{43}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(await Bun.password.verify("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("Correct horse battery", hash)).toBe(false);
    // A fresh salt each time.
    expect(await hashPassword("correct horse battery")).not.toBe(hash);
  });

  test("anything that is not an argon2 PHC string is a wrong password, never a crash", async () => {
    for (const stored of ["", "plain", "$2b$10$abcdefghijklmnopqrstuv", "$argon2id$v=19$m=x"]) {
      expect(await verifyPassword("anything", stored)).toBe(false);
    }
  });

  test("the dummy hash costs what a real one does (no account enumeration by timing)", async () => {
    expect(DUMMY_PASSWORD_HASH.startsWith("$argon2id$v=19$m=65536,t=2,p=1$")).toBe(true);
    const real = await hashPassword("some password here");
    const time = async (hash: string) => {
      const start = performance.now();
      await verifyPassword("guess", hash);
      return performance.now() - start;
    };
    await time(real); // warm the WebAssembly module
    const dummy = await time(DUMMY_PASSWORD_HASH);
    const actual = await time(real);
    expect(dummy / actual).toBeGreaterThan(0.5);
    expect(dummy / actual).toBeLessThan(2);
  });
});
