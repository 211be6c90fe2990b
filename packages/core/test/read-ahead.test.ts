import { describe, expect, test } from "bun:test";
import { readAhead } from "../src/sync/read.ts";

/** A directory of `pages` pages that counts what it was asked, failing at `failAt` if given. */
function pagesOf(pages: number, failAt?: number) {
  const asked: number[] = [];
  async function* read(): AsyncGenerator<number, string> {
    for (let page = 1; page <= pages; page += 1) {
      asked.push(page);
      await Bun.sleep(1);
      if (page === failAt) throw new Error(`page ${page} failed`);
      yield page;
    }
    return "next-cursor";
  }
  return { source: read(), asked };
}

describe("reading ahead", () => {
  test("the directory is asked for pages from the start, before the run takes the first", async () => {
    const { source, asked } = pagesOf(10);
    readAhead(source, 4);
    await Bun.sleep(30);
    expect(asked).toEqual([1, 2, 3, 4]);
  });

  test("pages come in order, the read's return value (its cursor) last, and it stays ahead", async () => {
    const { source, asked } = pagesOf(6);
    const read = readAhead(source, 2);
    const seen: number[] = [];
    for (;;) {
      const next = await read.next();
      if (next.done) {
        expect(next.value).toBe("next-cursor");
        break;
      }
      seen.push(next.value);
      expect(asked.length).toBeLessThanOrEqual(next.value + 2);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await read.next()).toEqual({ done: true, value: "next-cursor" });
  });

  test("a page that fails fails the read where it happened, after the pages before it", async () => {
    const { source } = pagesOf(6, 3);
    const read = readAhead(source, 4);
    expect(await read.next()).toEqual({ done: false, value: 1 });
    expect(await read.next()).toEqual({ done: false, value: 2 });
    await expect(read.next()).rejects.toThrow("page 3 failed");
  });
});
