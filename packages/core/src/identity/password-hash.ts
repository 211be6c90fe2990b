import { argon2id, argon2Verify } from "hash-wasm";

/**
 * Argon2id through WebAssembly (hash-wasm), the same on Bun and in a Workers runtime. The
 * parameters are Bun.password's argon2id defaults (64 MiB, 2 passes, 1 lane, 32-byte hash),
 * so a hash made before (by `Bun.password.hash`) and one made now are alike: both are PHC
 * strings `$argon2id$v=19$m=65536,t=2,p=1$salt$hash` that `verifyPassword` checks.
 */
export const ARGON2ID = { memorySize: 65_536, iterations: 2, parallelism: 1, hashLength: 32 };

export function hashPassword(password: string): Promise<string> {
  return argon2id({
    password,
    salt: crypto.getRandomValues(new Uint8Array(32)),
    ...ARGON2ID,
    outputType: "encoded",
  });
}

/** False for a wrong password and for anything that is not an argon2 PHC string. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  if (!hash.startsWith("$argon2")) return false;
  try {
    return await argon2Verify({ password, hash });
  } catch {
    return false;
  }
}

/**
 * Verified against when the account does not exist, so the time taken does not reveal
 * accounts: a hash of a random password with the same parameters, made once (no module-level
 * `await`: a Workers module may not wait at load).
 */
export const DUMMY_PASSWORD_HASH =
  "$argon2id$v=19$m=65536,t=2,p=1$MpDX0dJuC233YLjCDIiaNucYMAbABp4UlthUHcvu+nI$4ulpDhIsBRjyys68n4KP9xwIV53pW0ZaHXzbXZZlWpo";
