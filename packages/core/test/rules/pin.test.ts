import { describe, expect, test } from "bun:test";
import { drawPin, pinCandidates, pinLength } from "../../src/rules/pin.ts";

describe("PIN length grows with the tenant", () => {
  test.each([
    [0, 6],
    [8_999, 6],
    [9_000, 8],
    [899_999, 8],
    [900_000, 10],
  ])("%d PINs taken → %d digits", (taken, digits) => {
    expect(pinLength(taken)).toBe(digits);
  });

  test("a drawn PIN has the tenant's length, digits only, no leading zero", () => {
    const used = new Set(Array.from({ length: 9_000 }, (_, i) => `h${i}`));
    const { pin } = drawPin(used, (p) => `hash:${p}`);
    expect(pin).toMatch(/^[1-9]\d{7}$/);
  });
});

describe("PINs are unique per tenant through their keyed hash", () => {
  test("a PIN whose hash is taken is drawn again; the new hash joins the used set", () => {
    const draws = [111111, 111111, 222222];
    const used = new Set(["hash:111111"]);
    const pin = drawPin(
      used,
      (p) => `hash:${p}`,
      () => draws.shift() as number,
    );
    expect(pin).toEqual({ pin: "222222", hash: "hash:222222" });
    expect(used.has("hash:222222")).toBe(true);
    expect(draws).toEqual([]);
  });

  test("draws lie in [10^(n-1), 10^n)", () => {
    const bounds: Array<[number, number]> = [];
    drawPin(new Set(), String, (min, max) => {
      bounds.push([min, max]);
      return min;
    });
    expect(bounds).toEqual([[100_000, 1_000_000]]);
  });
});

describe("PINs reserved by a run that reads only changes", () => {
  const hashOf = (pin: string) => `hash:${pin}`;

  test("as many as asked, distinct, none whose hash is excluded (drawn again instead)", () => {
    const draws = [111111, 111111, 222222, 333333, 444444];
    const pins = pinCandidates(
      3,
      0,
      new Set(["hash:222222"]),
      hashOf,
      () => draws.shift() as number,
    );
    expect(pins.map((pin) => pin.pin)).toEqual(["111111", "333333", "444444"]);
    expect(pins.map((pin) => pin.hash)).toEqual(["hash:111111", "hash:333333", "hash:444444"]);
  });

  test("their length follows the tenant's count, as if drawn one by one", () => {
    const lengths: number[] = [];
    let next = 0;
    pinCandidates(3, 8_998, new Set(), hashOf, (min) => {
      lengths.push(String(min).length);
      next += 1;
      return min + next;
    });
    expect(lengths).toEqual([6, 6, 8]);
  });
});
