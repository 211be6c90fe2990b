import { describe, expect, test } from "bun:test";
import { parseAliasTemplate } from "@roster/connector-kit";
import { toyUser } from "@roster/connector-kit/testing";
import fc from "fast-check";
import { compileAliasTemplate, deriveNames } from "../../src/index.ts";

const INVALID = /["[\]:;|=+*?<>/\\,. ]/;

describe("aliases (properties)", () => {
  test("never empty, never twice (case-insensitively), stripped forms hold no invalid character", () => {
    const build = compileAliasTemplate("%a%;%b%;x-%a%.%b%", true);
    fc.assert(
      fc.property(fc.option(fc.string()), fc.option(fc.string()), (a, b) => {
        const aliases = build({ a, b });
        const lower = aliases.map((alias) => alias.toLowerCase());
        expect(aliases.every((alias) => alias.trim() !== "")).toBe(true);
        expect(new Set(lower).size).toBe(lower.length);
        for (const alias of aliases) {
          if (!INVALID.test(alias)) continue;
          const stripped = alias.replace(new RegExp(INVALID, "g"), "");
          if (stripped !== "") expect(lower).toContain(stripped.toLowerCase());
        }
      }),
    );
  });

  test("the template parser never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), (template) => {
        const patterns = parseAliasTemplate(template);
        expect(Array.isArray(patterns)).toBe(true);
      }),
    );
  });

  test("stripping is idempotent: a stripped alias has no invalid character and strips to itself", () => {
    const build = compileAliasTemplate("%a%", true);
    fc.assert(
      fc.property(fc.string(), (a) => {
        const [, stripped] = build({ a });
        if (stripped === undefined) return;
        expect(INVALID.test(stripped)).toBe(false);
        expect(build({ a: stripped })).toEqual([stripped]);
      }),
    );
  });

  test("a pattern whose field is empty yields no alias", () => {
    const build = compileAliasTemplate("%givenName%.%surname%;%surname%-%givenName%", false);
    expect(build({ givenName: "John", surname: null })).toEqual([]);
    expect(build({ givenName: "John", surname: "Doe" })).toEqual(["John.Doe", "Doe-John"]);
  });
});

describe("names from the display name", () => {
  test("'Last, First', last word, single word (spec §5)", () => {
    const named = (displayName: string) =>
      deriveNames(toyUser("x", { givenName: null, surname: null, displayName }), true);
    expect(named("Doe, Jane")).toEqual({ firstName: "Jane", lastName: "Doe" });
    expect(named("Mary  Ann Smith")).toEqual({ firstName: "Mary Ann", lastName: "Smith" });
    expect(named("Cher")).toEqual({ firstName: "Cher", lastName: "Cher" });
    expect(deriveNames(toyUser("x", { surname: null, displayName: "A B" }), false)).toBeNull();
  });

  test("any non-blank display name yields two non-blank names", () => {
    fc.assert(
      fc.property(
        fc.string().filter((s) => s.trim().replace(/,/g, "") !== ""),
        (displayName) => {
          const names = deriveNames(
            toyUser("x", { givenName: null, surname: null, displayName }),
            true,
          );
          expect(names?.firstName.trim()).not.toBe("");
          expect(names?.lastName.trim()).not.toBe("");
        },
      ),
    );
  });
});

describe("aliases and names: edges", () => {
  test("field names match attribute keys exactly or case-insensitively", () => {
    const build = compileAliasTemplate("%UserName%;%username%", false);
    expect(build({ username: "jd" })).toEqual(["jd"]);
    expect(compileAliasTemplate("%Dept%", false)({ dept: "x", Dept: "exact" })).toEqual(["exact"]);
  });

  test("a blank alias is dropped; a stripped form equal to the alias is not added again", () => {
    expect(compileAliasTemplate("%a%", false)({ a: "   " })).toEqual([]);
    expect(compileAliasTemplate("%a%", true)({ a: "plain" })).toEqual(["plain"]);
    expect(compileAliasTemplate("%a%", true)({ a: "j.doe" })).toEqual(["j.doe", "jdoe"]);
  });

  test("one alias once, compared case-insensitively", () => {
    expect(compileAliasTemplate("%a%;%b%;%c%", false)({ a: "X", b: "x", c: "Y" })).toEqual([
      "X",
      "Y",
    ]);
  });

  test.each([
    [",Doe", { firstName: "Doe", lastName: "Doe" }],
    ["Doe ,  Jane", { firstName: "Jane", lastName: "Doe" }],
    ["Doe,", { firstName: "Doe", lastName: "Doe" }],
    [" , ", null],
  ])("display name %p", (displayName, expected) => {
    const user = toyUser("n", { givenName: null, surname: null, displayName });
    expect(deriveNames(user, true)).toEqual(expected);
  });
});
