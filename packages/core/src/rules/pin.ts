import { randomInt } from "node:crypto";

/** A fresh PIN (for the welcome email only) and the keyed hash that is stored. */
export type NewPin = { pin: string; hash: string };

/**
 * PIN length by how many PINs the tenant already holds: 6 digits, 8 from 9,000, 10 from
 * 900,000 — so fewer than 1 % of PINs of any length are taken and a guess is rarely someone's.
 */
export function pinLength(taken: number): number {
  if (taken < 9_000) return 6;
  if (taken < 900_000) return 8;
  return 10;
}

/**
 * Draws a numeric PIN not yet used in the tenant. Uniqueness is checked by the keyed hash
 * (the PIN itself is stored nowhere); the drawn hash joins `used` at once.
 */
export function drawPin(
  used: Set<string>,
  hashOf: (pin: string) => string,
  random: (min: number, max: number) => number = randomInt,
): NewPin {
  const length = pinLength(used.size);
  for (;;) {
    const pin = String(random(10 ** (length - 1), 10 ** length));
    const hash = hashOf(pin);
    if (!used.has(hash)) {
      used.add(hash);
      return { pin, hash };
    }
  }
}

/**
 * `count` PINs for a run that does not hold the tenant's hashes (it reads only changes):
 * distinct, none in `exclude`, their length by how many the tenant holds (`taken`) as if
 * drawn one by one. The caller keeps those whose hash the tenant does not hold yet.
 */
export function pinCandidates(
  count: number,
  taken: number,
  exclude: ReadonlySet<string>,
  hashOf: (pin: string) => string,
  random: (min: number, max: number) => number = randomInt,
): NewPin[] {
  const drawn = new Map<string, NewPin>();
  while (drawn.size < count) {
    const length = pinLength(taken + drawn.size);
    const pin = String(random(10 ** (length - 1), 10 ** length));
    const hash = hashOf(pin);
    if (!exclude.has(hash) && !drawn.has(hash)) drawn.set(hash, { pin, hash });
  }
  return [...drawn.values()];
}
