/**
 * Validation messages in plain words. Zod's defaults speak validator ("Invalid input: expected
 * array, received undefined"); a message a schema wrote itself is kept as it is.
 */
type IssueLike = {
  code: string;
  message: string;
  expected?: unknown;
  origin?: unknown;
  maximum?: unknown;
  minimum?: unknown;
  values?: readonly unknown[];
  format?: unknown;
  keys?: readonly string[];
};

const ZOD_DEFAULT = /^(Invalid|Too (big|small)|Unrecognized|Expected)/;

export function plainIssueMessage(issue: IssueLike): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case "invalid_type":
      if (/received (undefined|null)/.test(issue.message)) return "This field is required.";
      return (
        {
          number: "Enter a number.",
          int: "Enter a whole number.",
          string: "Enter text.",
          boolean: "Choose yes or no.",
          array: "Enter a list.",
          object: "Fill in this group of fields.",
        }[String(issue.expected)] ?? "This value has the wrong kind."
      );
    case "too_big":
      if (issue.origin === "string") return `Use at most ${issue.maximum} characters.`;
      if (issue.origin === "array") return `Choose at most ${issue.maximum}.`;
      return `Enter at most ${issue.maximum}.`;
    case "too_small":
      if (issue.origin === "string")
        return Number(issue.minimum) <= 1
          ? "This field is required."
          : `Use at least ${issue.minimum} characters.`;
      if (issue.origin === "array")
        return Number(issue.minimum) <= 1
          ? "Choose at least one."
          : `Choose at least ${issue.minimum}.`;
      return `Enter at least ${issue.minimum}.`;
    case "invalid_value":
      return `Choose one of: ${(issue.values ?? []).map(String).join(", ")}.`;
    case "invalid_format":
      if (issue.format === "email") return "Enter an email address.";
      if (issue.format === "uuid" || issue.format === "guid")
        return "Enter a GUID like 00000000-0000-0000-0000-000000000000.";
      if (issue.format === "date" || issue.format === "datetime") return "Enter a date.";
      return "This value is not in the expected format.";
    case "unrecognized_keys":
      return `Unknown field${(issue.keys ?? []).length > 1 ? "s" : ""}: ${(issue.keys ?? []).join(", ")}.`;
    default:
      return "This value is not valid.";
  }
}
