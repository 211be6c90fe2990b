import { describe, expect, test } from "bun:test";
import { chooseReadMode, type FullReason } from "../../src/rules/full-read.ts";

const now = new Date("2026-12-01T09:00:00Z");
const daysAgo = (days: number) => new Date(now.getTime() - days * 24 * 60 * 60 * 1000);
const base: Parameters<typeof chooseReadMode>[0] = {
  supportsChanges: true,
  requested: "incremental",
  cursorIssuedAt: daysAgo(1),
  cursorDropped: null,
  lastFullRunAt: daysAgo(2),
  fullSyncEveryDays: 7,
  now,
};

describe("when a run reads everything", () => {
  test("changes only when a fresh cursor exists and the last full run is recent", () => {
    expect(chooseReadMode(base)).toEqual({ mode: "incremental" });
  });

  test.each<[string, Partial<typeof base>, FullReason]>([
    ["a connector without change reads", { supportsChanges: false }, "not_supported"],
    ["an administrator asking", { requested: "full" as const }, "requested"],
    ["no cursor yet", { cursorIssuedAt: null }, "first_run"],
    [
      "a cursor dropped by a settings change",
      { cursorIssuedAt: null, cursorDropped: "settings_changed" as const },
      "settings_changed",
    ],
    [
      "a cursor older than 6 days",
      { cursorIssuedAt: daysAgo(6.01), lastFullRunAt: daysAgo(1) },
      "cursor_expired",
    ],
    ["the reconciliation period reached", { lastFullRunAt: daysAgo(7) }, "reconciliation"],
    ["no full run ever finished cleanly", { lastFullRunAt: null }, "reconciliation"],
    ["a shorter period", { lastFullRunAt: daysAgo(1), fullSyncEveryDays: 1 }, "reconciliation"],
  ])("%s → full (%s)", (_, overrides, reason) => {
    expect(chooseReadMode({ ...base, ...overrides })).toEqual({ mode: "full", fullReason: reason });
  });

  test("a cursor of exactly 6 days is still used", () => {
    expect(chooseReadMode({ ...base, cursorIssuedAt: daysAgo(6) }).mode).toBe("incremental");
  });

  test("just under the reconciliation period reads changes", () => {
    expect(chooseReadMode({ ...base, lastFullRunAt: daysAgo(6.99) }).mode).toBe("incremental");
  });
});
