import { describe, expect, test } from "bun:test";
import { type SyncOptions, syncOptionsShape } from "@roster/connector-kit";
import { toyUser } from "@roster/connector-kit/testing";
import { z } from "zod";
import { SYNCED_USER_TAG } from "../../src/permissions.ts";
import { compileAliasTemplate } from "../../src/rules/aliases.ts";
import { createPlanner } from "../../src/rules/plan.ts";
import { createTakeoverGuard, type TakeoverInput } from "../../src/rules/takeover.ts";
import { type KnownUser, UserIndex } from "../../src/sync/user-index.ts";

const HERE = "con_here";
const defaults = z
  .object(syncOptionsShape(["username", "givenName", "surname"], "%username%"))
  .parse({});

const known = (overrides: Partial<KnownUser>): KnownUser => ({
  id: "usr_1",
  email: "x1@example.com",
  firstName: "Givenx1",
  lastName: "Surx1",
  tags: [SYNCED_USER_TAG],
  connectionId: HERE,
  externalId: "x1",
  deleted: false,
  aliases: ["x1"],
  privileged: false,
  hasPassword: false,
  ...overrides,
});

function planner(
  users: KnownUser[],
  options: Partial<SyncOptions> = {},
  takeover: Partial<TakeoverInput> = {},
) {
  const index = new UserIndex();
  for (const user of users) {
    index.put(user, HERE);
    for (const alias of user.aliases) index.aliasOwner.set(alias.toLowerCase(), user.id);
  }
  let pins = 0;
  const merged = { ...defaults, fullSyncEveryDays: 7, ...options };
  return {
    index,
    planner: createPlanner({
      index,
      connectionId: HERE,
      options: merged,
      aliases: compileAliasTemplate(merged.aliasTemplate, merged.aliasesWithoutInvalidCharacters),
      takeover: createTakeoverGuard({
        confirmed: new Set(),
        excluded: new Set(),
        administrators: [],
        ...takeover,
      }),
      newPin: () => {
        pins += 1;
        return { pin: `pin${pins}`, hash: `hash${pins}` };
      },
    }),
  };
}

describe("plan (spec §4–§5): what each directory user leads to", () => {
  test("a new user is created, tagged, linked, with a fresh PIN and its aliases", () => {
    const { planner: p, index } = planner([]);
    const { action } = p.plan(toyUser("x1"));
    expect(action).toMatchObject({
      kind: "create",
      pin: { pin: "pin1", hash: "hash1" },
      user: { email: "x1@example.com", connectionId: HERE, externalId: "x1", aliases: ["x1"] },
    });
    expect(action.kind === "create" && action.user.tags).toEqual([SYNCED_USER_TAG]);
    expect(index.byEmail.get("x1@example.com")).toBeDefined();
    expect(p.seen.has("x1")).toBe(true);
  });

  test("a linked user with nothing changed is unchanged", () => {
    const { planner: p } = planner([known({})]);
    expect(p.plan(toyUser("x1")).action.kind).toBe("unchanged");
  });

  test.each([
    ["a new surname", { surname: "Other" }, { lastName: "Other" }],
    ["a new email", { email: "new@example.com" }, { email: "new@example.com" }],
    ["a new given name", { givenName: "Other" }, { firstName: "Other" }],
  ])("%s updates the linked user", (_, change, expected) => {
    const { planner: p } = planner([known({})]);
    const { action } = p.plan(toyUser("x1", change));
    expect(action).toMatchObject({ kind: "update", user: expected });
  });

  test("a soft-deleted match is restored with a new PIN, never its old one", () => {
    const { planner: p } = planner([known({ deleted: true })]);
    const { action } = p.plan(toyUser("x1"));
    expect(action).toMatchObject({
      kind: "restore",
      pin: { hash: "hash1" },
      user: { deleted: false },
    });
  });

  test("a disabled account is skipped and not seen (a deletion candidate)", () => {
    const { planner: p } = planner([known({})]);
    expect(p.plan(toyUser("x1", { enabled: false })).action.kind).toBe("skipped");
    expect(p.seen.has("x1")).toBe(false);
  });

  test("an application user with the same email is skipped without 'Manage existing users'", () => {
    const local = known({ id: "usr_local", connectionId: null, externalId: null, tags: [] });
    const { planner: p } = planner([local]);
    expect(p.plan(toyUser("x1")).action.kind).toBe("skipped");
    expect(local.connectionId).toBeNull();
  });

  test("with it, the user is linked to this connection and tagged", () => {
    const local = known({ id: "usr_local", connectionId: null, externalId: null, tags: [] });
    const { planner: p } = planner([local], { manageExistingUsers: true });
    const { action } = p.plan(toyUser("x1"));
    expect(action).toMatchObject({
      kind: "update",
      user: { id: "usr_local", connectionId: HERE, externalId: "x1" },
    });
    expect(local.tags).toContain(SYNCED_USER_TAG);
  });

  test.each([
    ["no email", toyUser("x2", { email: null }), "no_email"],
    ["no names", toyUser("x2", { givenName: null }), "missing_names"],
  ])("%s fails the user with its reason", (_, user, code) => {
    const { planner: p } = planner([]);
    expect(p.plan(user).action).toMatchObject({ kind: "failed", issue: { code } });
  });

  test("display names fill in missing names only when allowed", () => {
    const user = toyUser("x2", { givenName: null, displayName: "Doe, Jane" });
    expect(planner([]).planner.plan(user).action.kind).toBe("failed");
    const { action } = planner([], { allowDisplayName: true }).planner.plan(user);
    expect(action).toMatchObject({ kind: "create", user: { firstName: "Jane", lastName: "Doe" } });
  });

  test("a second directory user with the same email fails; the first keeps it", () => {
    const { planner: p } = planner([]);
    expect(p.plan(toyUser("x1")).action.kind).toBe("create");
    expect(p.plan(toyUser("x2", { email: "X1@example.com" })).action).toMatchObject({
      kind: "failed",
      issue: { code: "duplicate_email" },
    });
  });

  test("a linked user taking an email another application user holds fails", () => {
    const other = known({
      id: "usr_2",
      email: "taken@example.com",
      connectionId: null,
      externalId: null,
      aliases: [],
    });
    const { planner: p } = planner([known({}), other]);
    expect(p.plan(toyUser("x1", { email: "taken@example.com" })).action).toMatchObject({
      kind: "failed",
      issue: { code: "email_taken" },
    });
  });

  test("an alias another user holds is a warning; the user still syncs without it", () => {
    const holder = known({
      id: "usr_h",
      email: "h@example.com",
      connectionId: null,
      externalId: null,
      aliases: ["x2"],
    });
    const { planner: p } = planner([holder]);
    const { action, warnings } = p.plan(toyUser("x2"));
    expect(action).toMatchObject({ kind: "create", user: { aliases: [] } });
    expect(warnings).toEqual([expect.objectContaining({ code: "alias_taken" })]);
  });

  test("an update that takes aliases away names them", () => {
    const { planner: p } = planner([known({ aliases: ["x1", "old-alias"] })]);
    const { action } = p.plan(toyUser("x1"));
    expect(action).toMatchObject({
      kind: "update",
      aliasesChanged: true,
      aliasesRemoved: ["old-alias"],
    });
  });

  test("aliases in another order are unchanged", () => {
    const { planner: p } = planner([known({ aliases: ["b", "a"] })], {
      aliasTemplate: "a;b",
    });
    expect(p.plan(toyUser("x1")).action.kind).toBe("unchanged");
  });
});

describe("plan: reasons, warnings and takeovers", () => {
  test("each failure says why in words that name the fix", () => {
    const { planner: p } = planner([]);
    const reason = (user: ReturnType<typeof toyUser>) => {
      const { action, warnings } = p.plan(user);
      expect(warnings).toEqual([]);
      return action.kind === "failed" ? action.issue.message : "";
    };
    expect(reason(toyUser("a", { email: null }))).toContain("no email address");
    expect(reason(toyUser("b", { email: null, emailRefused: true }))).toContain(
      "not one valid email address",
    );
    expect(reason(toyUser("c", { givenName: null }))).toContain("Allow use 'Display name'");
    p.plan(toyUser("d"));
    expect(reason(toyUser("e", { email: "D@example.com" }))).toContain("D@example.com");
  });

  test("an email the directory gave but that is not one address fails as invalid_email", () => {
    const { planner: p } = planner([]);
    expect(p.plan(toyUser("x", { email: null, emailRefused: true })).action).toMatchObject({
      kind: "failed",
      issue: { code: "invalid_email" },
    });
  });

  test("the same directory user twice is no duplicate of itself", () => {
    const { planner: p } = planner([]);
    expect(p.plan(toyUser("x1")).action.kind).toBe("create");
    expect(p.plan(toyUser("x1")).action.kind).not.toBe("failed");
  });

  test("skips carry no warnings", () => {
    const local = known({ id: "usr_local", connectionId: null, externalId: null, tags: [] });
    const { planner: p } = planner([local]);
    expect(p.plan(toyUser("x9", { enabled: false }))).toEqual({
      action: { kind: "skipped" },
      warnings: [],
    });
    expect(p.plan(toyUser("x1"))).toEqual({ action: { kind: "skipped" }, warnings: [] });
  });

  test("a user of this connection with another directory id is not 'linked here' (it is skipped)", () => {
    const other = known({ externalId: "old-object" });
    const { planner: p } = planner([other]);
    expect(p.plan(toyUser("x1")).action.kind).toBe("skipped");
  });

  test("the email-taken reason names the email", () => {
    const other = known({
      id: "usr_2",
      email: "taken@example.com",
      connectionId: null,
      externalId: null,
      aliases: [],
    });
    const { planner: p } = planner([known({}), other]);
    const { action } = p.plan(toyUser("x1", { email: "taken@example.com" }));
    expect(action.kind === "failed" && action.issue.message).toContain("taken@example.com");
  });

  test("an alias taken in this run is compared case-insensitively, and the warning names it", () => {
    const { planner: p } = planner([], { aliasTemplate: "%username%" });
    expect(p.plan(toyUser("a", { attributes: { username: "Ab" } })).action.kind).toBe("create");
    const { action, warnings } = p.plan(toyUser("b", { attributes: { username: "aB" } }));
    expect(action).toMatchObject({ kind: "create", user: { aliases: [] } });
    expect(warnings).toEqual([expect.objectContaining({ code: "alias_taken" })]);
    expect(warnings[0]?.message).toContain('"aB"');
  });

  test("an alias given up by one user may be taken by the next", () => {
    const holder = known({ aliases: ["shared"] });
    const { planner: p } = planner([holder], { aliasTemplate: "%username%" });
    p.plan(toyUser("x1", { attributes: { username: "x1" } }));
    const next = p.plan(toyUser("x2", { attributes: { username: "SHARED" } }));
    expect(next.warnings).toEqual([]);
    expect(next.action).toMatchObject({ kind: "create", user: { aliases: ["SHARED"] } });
  });

  test("a privileged match is held with its id and why, and nothing changes", () => {
    const admin = known({
      id: "usr_admin",
      connectionId: null,
      externalId: null,
      privileged: true,
      tags: [],
    });
    const { planner: p, index } = planner([admin], { manageExistingUsers: true });
    const { action, warnings } = p.plan(toyUser("x1"));
    expect(warnings).toEqual([]);
    expect(action).toMatchObject({
      kind: "held",
      issue: { code: "needs_confirmation", userId: "usr_admin" },
    });
    expect(action.kind === "held" && action.issue.message).toContain("Not linked");
    expect(admin).toMatchObject({ connectionId: null, externalId: null, tags: [] });
    expect(index.byExternalId.has("x1")).toBe(false);
  });

  test("a held restore says so", () => {
    const gone = known({ privileged: true, deleted: true });
    const { planner: p } = planner([gone]);
    const { action } = p.plan(toyUser("x1"));
    expect(action.kind === "held" && action.issue.message).toContain("Not restored");
    expect(gone.deleted).toBe(true);
  });

  test("a user left alone is skipped without a word", () => {
    const local = known({ id: "usr_local", connectionId: null, externalId: null, tags: [] });
    const { planner: p } = planner(
      [local],
      { manageExistingUsers: true },
      {
        excluded: new Set(["usr_local"]),
      },
    );
    expect(p.plan(toyUser("x1"))).toEqual({ action: { kind: "skipped" }, warnings: [] });
  });

  test("the last administrator, confirmed, is kept with a warning and not linked", () => {
    const admin = known({
      id: "usr_admin",
      connectionId: null,
      externalId: null,
      privileged: true,
    });
    const { planner: p } = planner(
      [admin],
      { manageExistingUsers: true },
      {
        confirmed: new Set(["usr_admin"]),
        administrators: ["usr_admin"],
      },
    );
    const { action, warnings } = p.plan(toyUser("x1"));
    expect(action).toEqual({ kind: "skipped" });
    expect(warnings).toEqual([
      expect.objectContaining({ code: "last_administrator_kept", externalId: "x1" }),
    ]);
    expect(admin.connectionId).toBeNull();
  });

  test("a confirmed conversion links, drops the password and frees nothing else", () => {
    const local = known({
      id: "usr_local",
      email: "x1@example.com",
      connectionId: null,
      externalId: null,
      hasPassword: true,
    });
    const { planner: p } = planner(
      [local],
      { manageExistingUsers: true },
      {
        confirmed: new Set(["usr_local"]),
      },
    );
    expect(p.plan(toyUser("x1")).action).toMatchObject({ kind: "update", converted: true });
    expect(local).toMatchObject({ connectionId: HERE, externalId: "x1", hasPassword: false });
  });

  test("a restored user loses its privileges; an email change frees the old one", () => {
    const gone = known({ deleted: true });
    const { planner: p } = planner([gone]);
    expect(p.plan(toyUser("x1")).action.kind).toBe("restore");
    expect(gone.privileged).toBe(false);
    const moving = planner([known({})]);
    moving.planner.plan(toyUser("x1", { email: "new@example.com" }));
    expect([...moving.planner.freedEmails]).toEqual(["x1@example.com"]);
  });
});
