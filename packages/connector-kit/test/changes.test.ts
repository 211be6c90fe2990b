import { describe, expect, test } from "bun:test";
import {
  ConnectorError,
  type DirectoryChanges,
  forEachChange,
  ResyncRequiredError,
} from "../src/index.ts";
import { type ToyDirectory, toyConnector, toySettings, toyUser } from "../src/testing/index.ts";

const log = { debug() {}, info() {}, warn() {}, error() {} };

describe("readChanges contract (toy connector)", () => {
  const directory: ToyDirectory = { users: [toyUser("1"), toyUser("2"), toyUser("3")], groups: [] };
  const connector = toyConnector(directory);
  const input = { settings: toySettings.parse({}), secret: "s", log, fields: ["username"] };
  const read = async (cursor: string | null) => {
    const pages: DirectoryChanges[] = [];
    const end = await forEachChange(connector.readChanges?.(input, cursor) as never, (page) => {
      pages.push(page);
    });
    return { pages, ...end };
  };

  test("null is a complete read ending with a cursor; then only the changes", async () => {
    const start = await read(null);
    expect(start.pages.flatMap((p) => p.upserted).map((u) => u.externalId)).toEqual([
      "1",
      "2",
      "3",
    ]);
    expect(start.issuedAt).toBeInstanceOf(Date);
    directory.users = [toyUser("1", { surname: "Changed" }), toyUser("3"), toyUser("4")];
    directory.removalReasons = { "2": "changed" };
    const next = await read(start.cursor);
    expect(next.pages.flatMap((p) => p.upserted).map((u) => u.externalId)).toEqual(["1", "4"]);
    expect(next.pages.flatMap((p) => p.removed)).toEqual([{ externalId: "2", reason: "changed" }]);
    // The old cursor replays the same changes: a round that did not finish can be repeated.
    expect((await read(start.cursor)).pages).toEqual(next.pages);
    expect((await read(next.cursor)).pages).toEqual([]);
  });

  test("a cursor the directory refuses is a ResyncRequiredError, which is a ConnectorError", async () => {
    const { cursor } = await read(null);
    directory.resync = "cursor_expired";
    const error = await read(cursor).catch((e) => e);
    directory.resync = undefined;
    expect(error).toBeInstanceOf(ResyncRequiredError);
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error).toMatchObject({
      code: "resync_required",
      reason: "cursor_expired",
      details: { reason: "cursor_expired" },
    });
  });

  test("forEachChange returns nothing when the read throws: no cursor for an incomplete read", async () => {
    directory.failAfterPage = 0;
    const error = await read(null).catch((e) => e);
    directory.failAfterPage = undefined;
    expect(error).toBeInstanceOf(ConnectorError);
    expect(error.code).toBe("read_failed");
  });
});
