import { describe, expect, test } from "bun:test";
import { entraId } from "@roster/connector-entra-id";
import { z } from "zod";
import type { JsonSchema } from "../src/api.ts";
import { nameProblem, percentProblem, validateSettings } from "../src/validate.ts";

/** The Entra connector's settings as the admin UI receives them (`connectorCatalog`). */
const schema = z.toJSONSchema(entraId().settings, {
  io: "input",
  unrepresentable: "any",
}) as JsonSchema;
const good = {
  applicationId: "f463dbe8-ca2a-45c9-8e55-d32d4f05c5a1",
  directoryId: "bc3919b7-e3cb-4074-94cb-40c3417f31d5",
};

describe("validation in the browser from the connector's JSON Schema", () => {
  test("valid settings have no error; defaults fill what is absent", () => {
    expect(validateSettings(schema, good)).toEqual({});
  });

  test("every problem at once, keyed by the field's path, in plain words", () => {
    const errors = validateSettings(schema, {
      applicationId: "not-a-guid",
      groups: { mode: "selected", ids: [] },
      deletionLimit: { percent: 101, minimum: -1 },
      aliasTemplate: "%givenName",
    });
    expect(errors).toEqual({
      applicationId:
        "Application (client) ID must be a GUID like 00000000-0000-0000-0000-000000000000.",
      directoryId: "This field is required.",
      "groups.ids": "Choose at least one.",
      "deletionLimit.percent": "Enter a number from 0 to 100.",
      "deletionLimit.minimum": "Enter a number of at least 0.",
      aliasTemplate: 'The alias pattern "%givenName" has a % without its closing %.',
    });
  });

  test("a cleared number is an error naming its default, never 0", () => {
    expect(
      validateSettings(schema, { ...good, deletionLimit: { percent: null, minimum: 20 } }),
    ).toEqual({
      "deletionLimit.percent": "Enter a number from 0 to 100 (the default is 10).",
    });
  });

  test("each bad item of a list is named", () => {
    const errors = validateSettings(schema, {
      ...good,
      groups: { mode: "selected", ids: ["0ad5d4a2-3b33-4a1d-9e1f-2f2c1b6a9e11", "oops"] },
    });
    expect(errors["groups.ids"]).toContain("Item 2 (oops)");
  });

  test("names and % pairs", () => {
    expect(nameProblem("x".repeat(127))).toBe("Use at most 100 characters (this has 127).");
    expect(nameProblem("x".repeat(100))).toBeNull();
    expect(percentProblem("%a%;%%")).toBe('The alias pattern "%%" has an empty field name (%%).');
    expect(percentProblem("%givenName%.%surname%")).toBeNull();
  });
});
