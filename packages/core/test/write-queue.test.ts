import { expect, test } from "bun:test";
import type { Decision } from "../src/rules/plan.ts";
import type { DecidedChunk } from "../src/sync/store/index.ts";
import { createWriteQueue, SERVER_CHUNKS } from "../src/sync/write-queue.ts";

const decision = (i: number): Decision =>
  ({
    action: { kind: "create", user: { id: `u${i}` }, pin: {} },
    warnings: [],
  }) as unknown as Decision;

/** A writer that takes `msPerUser` per user, as a database would, and records each chunk. */
function slowWriter(msPerUser: number) {
  const chunks: number[] = [];
  const write = async (chunk: DecidedChunk) => {
    chunks.push(chunk.actions.length);
    await Bun.sleep(chunk.actions.length * msPerUser);
  };
  return { chunks, write };
}

test("the first transaction is small and each next at most twice the last, up to 20,000: the first emails are committed within a page or two", async () => {
  const writer = slowWriter(0.02);
  const queue = createWriteQueue(writer.write);
  // Pages of 1,000 decided much faster than they are written.
  for (let page = 0; page < 100; page += 1) {
    for (let i = 0; i < 1_000; i += 1) queue.add(decision(page * 1_000 + i));
    await queue.offer();
  }
  await queue.drain();
  expect(writer.chunks.reduce((sum, size) => sum + size, 0)).toBe(100_000);
  expect(writer.chunks.slice(0, 5)).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  expect(Math.max(...writer.chunks)).toBe(20_000);
  writer.chunks.forEach((size, index) => {
    if (index > 0) expect(size).toBeLessThanOrEqual(2 * (writer.chunks[index - 1] as number));
  });
});

test("draining writes everything left, in chunks no larger than the limit", async () => {
  const writer = slowWriter(0);
  const queue = createWriteQueue(writer.write);
  for (let i = 0; i < 50_000; i += 1) queue.add(decision(i));
  await queue.drain();
  expect(writer.chunks).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 19_000]);
});

test("on a libSQL server the queue hands over large chunks: its transactions are sized by their pace", async () => {
  const writer = slowWriter(0);
  const queue = createWriteQueue(writer.write, SERVER_CHUNKS);
  for (let i = 0; i < 120_000; i += 1) queue.add(decision(i));
  await queue.drain();
  expect(writer.chunks).toEqual([50_000, 50_000, 20_000]);
});
