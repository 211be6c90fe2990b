import { describe, expect, test } from "bun:test";
import { createTakeoverGuard, type TakeoverInput } from "../../src/rules/takeover.ts";
import type { KnownUser } from "../../src/sync/user-index.ts";

const user = (id: string, overrides: Partial<KnownUser> = {}): KnownUser => ({
  id,
  email: `${id}@example.com`,
  firstName: "A",
  lastName: "B",
  tags: [],
  connectionId: null,
  externalId: null,
  deleted: false,
  aliases: [],
  privileged: false,
  hasPassword: false,
  ...overrides,
});

const guard = (input: Partial<TakeoverInput> = {}) =>
  createTakeoverGuard({ confirmed: new Set(), excluded: new Set(), administrators: [], ...input });

describe("directory data never takes over a privileged account (spec §4.11)", () => {
  test.each<[string, Partial<KnownUser>, "proceed" | "hold"]>([
    ["a plain user", {}, "proceed"],
    ["a user with a permission-granting role", { privileged: true }, "hold"],
    ["a user with a password", { hasPassword: true }, "hold"],
    ["a soft-deleted administrator (a restore)", { privileged: true, deleted: true }, "hold"],
  ])("linking %s: %s", (_, overrides, kind) => {
    expect(guard().check(user("u", overrides), false).kind).toBe(kind);
  });

  test("the reason names what the user holds", () => {
    expect(guard().check(user("u", { privileged: true, hasPassword: true }), false)).toEqual({
      kind: "hold",
      reason: "holds a role with permissions and signs in with a password",
    });
  });

  test("a user already synced by this connection is kept in step without a confirmation", () => {
    expect(guard().check(user("u", { privileged: true }), true).kind).toBe("proceed");
  });

  test("restoring a privileged user synced by this connection still needs a confirmation", () => {
    expect(guard().check(user("u", { privileged: true, deleted: true }), true).kind).toBe("hold");
  });

  test("a confirmed user proceeds; one left alone is never taken over, confirmed or not", () => {
    const g = guard({ confirmed: new Set(["a", "b"]), excluded: new Set(["b", "c"]) });
    expect(g.check(user("a", { hasPassword: true }), false).kind).toBe("proceed");
    expect(g.check(user("b", { hasPassword: true }), false).kind).toBe("leave");
    expect(g.check(user("c"), false).kind).toBe("leave");
  });

  test("even confirmed, the last administrator is not converted; the others are", () => {
    const admins = ["a1", "a2"];
    const g = guard({ confirmed: new Set(admins), administrators: admins });
    expect(g.check(user("a2", { privileged: true }), false).kind).toBe("proceed");
    expect(g.remainingAdministrators()).toEqual(["a1"]);
    expect(g.check(user("a1", { privileged: true }), false).kind).toBe("keep_last_administrator");
    expect(g.remainingAdministrators()).toEqual(["a1"]);
  });

  test("linking a user who is not an administrator leaves the administrators alone", () => {
    const g = guard({ administrators: ["a1"] });
    expect(g.check(user("b"), false).kind).toBe("proceed");
    expect(g.check(user("c", { deleted: true }), true).kind).toBe("proceed");
    expect(g.remainingAdministrators()).toEqual(["a1"]);
  });

  test("an administrator already synced here is no conversion and does not count", () => {
    const g = guard({ administrators: ["a1"] });
    expect(g.check(user("a1", { privileged: true }), true).kind).toBe("proceed");
    expect(g.remainingAdministrators()).toEqual(["a1"]);
  });
});
