import { describe, expect, test } from "bun:test";
import {
  aliasTemplateSchema,
  createRegistry,
  parseAliasTemplate,
  resolveTemplateFields,
  syncOptionsSchema,
} from "../src/index.ts";
import { toyConnector, toySettings } from "../src/testing/index.ts";

describe("alias templates", () => {
  test("splits patterns on ';' and mixes literal text with fields", () => {
    expect(parseAliasTemplate("%givenName%.%surname%;x-%surname%;")).toEqual([
      [
        { kind: "field", name: "givenName" },
        { kind: "text", value: "." },
        { kind: "field", name: "surname" },
      ],
      [
        { kind: "text", value: "x-" },
        { kind: "field", name: "surname" },
      ],
    ]);
  });

  test("an unmatched % stays literal text", () => {
    expect(parseAliasTemplate("50%off")).toEqual([[{ kind: "text", value: "50%off" }]]);
  });

  test("field names resolve case-insensitively to their canonical casing", () => {
    const resolved = resolveTemplateFields("%surName%;%GIVENNAME%;%nope%", [
      "givenName",
      "surname",
    ]);
    expect([...resolved]).toEqual([
      ["surName", "surname"],
      ["GIVENNAME", "givenName"],
      ["nope", undefined],
    ]);
  });

  test("the schema names every unknown field", () => {
    const result = aliasTemplateSchema(["mail"]).safeParse("%a%;%mail%;%b%");
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe("Unknown alias fields: a, b");
  });
});

describe("sync options", () => {
  test("defaults follow the spec: everything off, deletion limit 10% / 20, a full read weekly", () => {
    const settings = toySettings.parse({});
    expect(syncOptionsSchema.parse(settings)).toEqual({
      aliasTemplate: "%username%",
      sendPinEmails: false,
      manageExistingUsers: false,
      allowDisplayName: false,
      aliasesWithoutInvalidCharacters: false,
      manageUserDeletion: false,
      deletionLimit: { percent: 10, minimum: 20 },
      fullSyncEveryDays: 7,
    });
  });
});

describe("registry", () => {
  test("a connector defined outside the connectors folder plugs in by type", () => {
    const registry = createRegistry([toyConnector({ users: [], groups: [] }, "toy")]);
    expect(registry.get("toy")?.displayName).toBe("Toy directory");
    expect(registry.get("nope")).toBeUndefined();
  });

  test("two connectors with one type are refused", () => {
    const toy = toyConnector({ users: [], groups: [] });
    expect(() => createRegistry([toy, toy])).toThrow('Two connectors declare the type "toy"');
  });
});

describe("alias template validation at save", () => {
  const schema = aliasTemplateSchema(["givenName", "surname"]);
  const messages = (template: string) => {
    const result = schema.safeParse(template);
    return result.success ? [] : result.error.issues.map((issue) => issue.message);
  };

  test("a well-formed template passes", () => {
    expect(messages("%givenName%.%surname%;%surname%-%givenName%")).toEqual([]);
    expect(messages("")).toEqual([]);
  });

  test("an unmatched % is refused, naming the pattern", () => {
    expect(messages("%givenName%.%surname%;%givenName")).toEqual([
      'The alias pattern "%givenName" has a % without its closing %.',
    ]);
  });

  test("an empty %% is refused", () => {
    expect(messages("a%%b")).toEqual(['The alias pattern "a%%b" has an empty field name (%%).']);
  });

  test("an unknown field is refused, naming it", () => {
    expect(messages("%nickname%")).toEqual(["Unknown alias field: nickname"]);
  });
});
