import { describe, expect, test } from "bun:test";
import { remoteBatches } from "../src/sync/store/remote-batches.ts";

describe("transactions on a server URL, sized by their pace", () => {
  test("a fast server gets larger batches, at most doubled each time, up to the ceiling", () => {
    const batches = remoteBatches();
    expect(batches.size).toBe(5_000);
    batches.took(5_000, 100);
    expect(batches.size).toBe(10_000);
    batches.took(10_000, 200);
    expect(batches.size).toBe(20_000);
    batches.took(20_000, 400);
    expect(batches.size).toBe(25_000);
  });

  test("a slow batch shrinks the next to about 1.5 s of work, well within sqld's 5 s", () => {
    const batches = remoteBatches();
    batches.took(5_000, 6_000);
    expect(batches.size).toBe(1_250);
    batches.took(1_250, 60_000);
    expect(batches.size).toBe(500);
  });

  test("the short last batch of a chunk does not set the pace", () => {
    const batches = remoteBatches();
    batches.took(100, 5_000);
    expect(batches.size).toBe(5_000);
  });
});
