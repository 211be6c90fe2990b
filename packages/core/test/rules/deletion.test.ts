import { describe, expect, test } from "bun:test";
import { deletionLimit, planDeletions } from "../../src/rules/deletion.ts";

const user = (id: string) => ({ id, externalId: `x-${id}` });
const users = (count: number, prefix = "u") =>
  Array.from({ length: count }, (_, i) => user(`${prefix}${i}`));
const seenOf = (list: { externalId: string }[]) => new Set(list.map((u) => u.externalId));
const limit = { percent: 10, minimum: 20 };

describe("deletion limit (spec §4.6)", () => {
  test.each([
    [0, { percent: 10, minimum: 20 }, 20],
    [100, { percent: 10, minimum: 20 }, 20],
    [1000, { percent: 10, minimum: 20 }, 100],
    [1009, { percent: 10, minimum: 20 }, 100],
    [1000, { percent: 0, minimum: 0 }, 0],
    [500, { percent: 100, minimum: 0 }, 500],
  ])("%d active users, %o → %d", (active, options, expected) => {
    expect(deletionLimit(active, options)).toBe(expected);
  });
});

describe("planDeletions", () => {
  test("candidates are the active users the complete read did not return", () => {
    const before = users(30);
    const plan = planDeletions({
      activeBefore: before,
      seen: seenOf(before.slice(0, 25)),
      limit,
      limitLifted: false,
      administrators: [],
    });
    expect(plan).toEqual({ kind: "delete", users: before.slice(25), kept: [] });
  });

  test("a user without a directory id is never a candidate", () => {
    const plan = planDeletions({
      activeBefore: [{ id: "local", externalId: null }],
      seen: new Set(),
      limit,
      limitLifted: false,
      administrators: [],
    });
    expect(plan).toEqual({ kind: "delete", users: [], kept: [] });
  });

  test("exactly at the limit deletes; one over stops for review with the limit", () => {
    const before = users(200);
    const at = planDeletions({
      activeBefore: before,
      seen: seenOf(before.slice(20)),
      limit,
      limitLifted: false,
      administrators: [],
    });
    expect(at.kind).toBe("delete");
    expect(at.users).toHaveLength(20);
    const over = planDeletions({
      activeBefore: before,
      seen: seenOf(before.slice(21)),
      limit,
      limitLifted: false,
      administrators: [],
    });
    expect(over).toMatchObject({ kind: "review", limit: 20 });
    expect(over.users).toHaveLength(21);
  });

  test("an administrator's confirmation lifts the limit once", () => {
    const before = users(100);
    const plan = planDeletions({
      activeBefore: before,
      seen: new Set(),
      limit,
      limitLifted: true,
      administrators: [],
    });
    expect(plan.kind).toBe("delete");
    expect(plan.users).toHaveLength(100);
  });

  test("the limit is a share of the users before the run, however many the directory has now", () => {
    const before = users(100);
    const plan = planDeletions({
      activeBefore: before,
      // 1,000 new users seen: they are not in activeBefore and cannot raise the limit.
      seen: seenOf(users(1000, "new")),
      limit,
      limitLifted: false,
      administrators: [],
    });
    expect(plan).toMatchObject({ kind: "review", limit: 20 });
  });

  test("the last administrator is kept when every administrator would go", () => {
    const before = users(5);
    const plan = planDeletions({
      activeBefore: before,
      seen: new Set(),
      limit,
      limitLifted: false,
      administrators: ["u3", "u1"],
    });
    expect(plan.kind).toBe("delete");
    expect(plan.kept).toEqual([user("u3")]);
    expect(plan.users.map((u) => u.id)).toEqual(["u0", "u1", "u2", "u4"]);
  });

  test("no administrator is kept while another one stays", () => {
    const before = users(5);
    const plan = planDeletions({
      activeBefore: before,
      seen: new Set(),
      limit,
      limitLifted: false,
      administrators: ["u3", "elsewhere"],
    });
    expect(plan.kept).toEqual([]);
    expect(plan.users).toHaveLength(5);
  });

  test("a kept administrator does not count against the limit", () => {
    const before = users(21);
    const plan = planDeletions({
      activeBefore: before,
      seen: new Set(),
      limit,
      limitLifted: false,
      administrators: ["u0"],
    });
    expect(plan.kind).toBe("delete");
    expect(plan.users).toHaveLength(20);
  });
});
