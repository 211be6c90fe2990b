import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { plainIssueMessage } from "../src/plain-issues.ts";

const messagesOf = (schema: z.ZodType, value: unknown) => {
  const result = schema.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((issue) =>
    plainIssueMessage(issue as Parameters<typeof plainIssueMessage>[0]),
  );
};

describe("validation messages in plain words", () => {
  test("zod's defaults are rewritten", () => {
    expect(messagesOf(z.object({ ids: z.array(z.string()) }), {})).toEqual([
      "This field is required.",
    ]);
    expect(messagesOf(z.number(), "x")).toEqual(["Enter a number."]);
    expect(messagesOf(z.string().max(100), "x".repeat(127))).toEqual([
      "Use at most 100 characters.",
    ]);
    expect(messagesOf(z.string().min(1), "")).toEqual(["This field is required."]);
    expect(messagesOf(z.number().int().max(100), 101)).toEqual(["Enter at most 100."]);
    expect(messagesOf(z.array(z.string()).min(1), [])).toEqual(["Choose at least one."]);
    expect(messagesOf(z.enum(["all", "selectedGroups"]), "some")).toEqual([
      "Choose one of: all, selectedGroups.",
    ]);
    expect(messagesOf(z.email(), "nope")).toEqual(["Enter an email address."]);
    expect(messagesOf(z.strictObject({}), { extra: 1 })).toEqual(["Unknown field: extra."]);
  });

  test("a message the schema wrote itself is kept", () => {
    expect(messagesOf(z.array(z.string()).min(1, "Select at least one group."), [])).toEqual([
      "Select at least one group.",
    ]);
  });

  test("no message keeps validator words", () => {
    const all = [
      ...messagesOf(z.object({ a: z.array(z.string()), b: z.boolean(), c: z.object({}) }), {
        a: 1,
        b: "x",
        c: 2,
      }),
    ];
    expect(all.join(" ")).not.toMatch(/expected|received|Invalid input/);
  });
});
