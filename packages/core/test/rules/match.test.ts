import { describe, expect, test } from "bun:test";
import { toyUser } from "@roster/connector-kit/testing";
import { matchUser } from "../../src/rules/match.ts";
import { type KnownUser, UserIndex } from "../../src/sync/user-index.ts";

const known = (overrides: Partial<KnownUser>): KnownUser => ({
  id: "usr",
  email: "someone@example.com",
  firstName: "Some",
  lastName: "One",
  tags: [],
  connectionId: null,
  externalId: null,
  deleted: false,
  aliases: [],
  privileged: false,
  hasPassword: false,
  ...overrides,
});

function indexOf(...users: KnownUser[]) {
  const index = new UserIndex();
  for (const user of users) index.put(user, "con_here");
  return index;
}

describe("matching (spec §4.3)", () => {
  test("by the directory id this connection synced, whatever the email says", () => {
    const linked = known({
      id: "a",
      email: "old@example.com",
      connectionId: "con_here",
      externalId: "x1",
    });
    const byEmail = known({ id: "b", email: "x1@example.com" });
    const index = indexOf(linked, byEmail);
    expect(matchUser(index, toyUser("x1"))?.id).toBe("a");
  });

  test("then by email, case-insensitively", () => {
    const index = indexOf(known({ id: "b", email: "X1@Example.COM" }));
    expect(matchUser(index, toyUser("x1"))?.id).toBe("b");
  });

  test("a soft-deleted user matches (to be restored, never duplicated)", () => {
    const index = indexOf(known({ id: "gone", email: "x1@example.com", deleted: true }));
    expect(matchUser(index, toyUser("x1"))?.id).toBe("gone");
  });

  test("another connection's directory id does not match", () => {
    const index = indexOf(
      known({ id: "there", email: "z@example.com", connectionId: "con_there", externalId: "x1" }),
    );
    expect(matchUser(index, toyUser("x1"))).toBeUndefined();
  });

  test("no email and no linked id: no match", () => {
    const index = indexOf(known({ id: "b", email: "x1@example.com" }));
    expect(matchUser(index, toyUser("x9", { email: null }))).toBeUndefined();
  });
});
