import type { JsonSchema } from "./api.ts";
import type { FieldErrors } from "./schema-form.tsx";

/** The JSON Schema keywords the settings forms use, beyond `api.ts`'s type. */
type Schema = JsonSchema & {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minItems?: number;
  maxItems?: number;
  exclusiveMinimum?: number;
};

/**
 * Validates a settings draft in the browser against the connector's JSON Schema — the one
 * the API validates with — and says every problem at once, in plain words, keyed by field
 * path. What JSON Schema cannot say (the alias template's `%` pairs) is checked too; the
 * server remains the judge and its messages use the same words.
 */
export function validateSettings(schema: JsonSchema, value: Record<string, unknown>): FieldErrors {
  const errors: FieldErrors = {};
  visit(schema as Schema, value, [], errors, true);
  return errors;
}

function visit(
  schema: Schema,
  value: unknown,
  path: string[],
  errors: FieldErrors,
  present: boolean,
): undefined {
  const key = path.join(".");
  const fail = (message: string): undefined => {
    errors[key] ??= message;
  };
  if (value === undefined) {
    // Absent: the default applies (the form shows it); only a required field without one fails.
    if (!present) fail("This field is required.");
    return;
  }
  if (schema.oneOf) {
    const current = (value ?? {}) as Record<string, unknown>;
    const discriminator = Object.keys(schema.oneOf[0]?.properties ?? {}).find(
      (name) => schema.oneOf?.[0]?.properties?.[name]?.const !== undefined,
    );
    const chosen = schema.oneOf.find(
      (variant) =>
        discriminator && variant.properties?.[discriminator]?.const === current[discriminator],
    );
    if (chosen) visit(chosen as Schema, value, path, errors, true);
    return;
  }
  if (value === null) {
    const fallback =
      schema.default !== undefined ? ` (the default is ${String(schema.default)})` : "";
    fail(
      schema.type === "integer" || schema.type === "number"
        ? `Enter a number${rangeText(schema)}${fallback}.`
        : "This field is required.",
    );
    return;
  }
  switch (schema.type) {
    case "object": {
      const object = value as Record<string, unknown>;
      for (const [name, child] of Object.entries(schema.properties ?? {})) {
        const required = schema.required?.includes(name) && (child as Schema).default === undefined;
        visit(child as Schema, object[name], [...path, name], errors, !required);
      }
      return;
    }
    case "array": {
      const list = Array.isArray(value) ? value : [];
      if (schema.minItems !== undefined && list.length < schema.minItems)
        fail(schema.minItems <= 1 ? "Choose at least one." : `Choose at least ${schema.minItems}.`);
      if (schema.maxItems !== undefined && list.length > schema.maxItems)
        fail(`Choose at most ${schema.maxItems}.`);
      list.forEach((item, position) => {
        const itemErrors: FieldErrors = {};
        visit((schema.items ?? {}) as Schema, item, [], itemErrors, true);
        const message = itemErrors[""];
        if (message) fail(`Item ${position + 1} (${String(item)}): ${message}`);
      });
      return;
    }
    case "integer":
    case "number": {
      const number = value as number;
      if (typeof number !== "number" || Number.isNaN(number))
        return fail(`Enter a number${rangeText(schema)}.`);
      if (schema.type === "integer" && !Number.isInteger(number))
        return fail("Enter a whole number.");
      if (schema.minimum !== undefined && number < schema.minimum)
        return fail(`Enter a number${rangeText(schema)}.`);
      if (schema.maximum !== undefined && number > schema.maximum)
        return fail(`Enter a number${rangeText(schema)}.`);
      return;
    }
    case "string": {
      const text = String(value);
      if (schema.enum && !schema.enum.includes(text))
        return fail(`Choose one of: ${schema.enum.join(", ")}.`);
      if (schema.minLength !== undefined && text.length < schema.minLength)
        return fail(
          schema.minLength <= 1
            ? "This field is required."
            : `Use at least ${schema.minLength} characters.`,
        );
      if (schema.maxLength !== undefined && text.length > schema.maxLength)
        return fail(`Use at most ${schema.maxLength} characters (this has ${text.length}).`);
      if (
        schema.format === "uuid" ||
        (schema.pattern && !new RegExp(schema.pattern, "u").test(text))
      ) {
        if (
          schema.format === "uuid" &&
          /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)
        )
          return;
        return fail(
          schema.format === "uuid"
            ? `${schema.title ?? "This field"} must be a GUID like 00000000-0000-0000-0000-000000000000.`
            : "This value is not in the expected format.",
        );
      }
      if (path.at(-1) === "aliasTemplate") {
        const problem = percentProblem(text);
        if (problem) fail(problem);
      }
      return;
    }
    default:
      return;
  }
}

const rangeText = (schema: Schema) =>
  schema.minimum !== undefined && schema.maximum !== undefined && schema.maximum < 1e9
    ? ` from ${schema.minimum} to ${schema.maximum}`
    : schema.minimum !== undefined
      ? ` of at least ${schema.minimum}`
      : "";

/** An unmatched `%` or an empty `%%` in an alias pattern (the API refuses them at save). */
export function percentProblem(template: string): string | null {
  for (const pattern of template.split(";").map((part) => part.trim())) {
    if (pattern.includes("%%"))
      return `The alias pattern "${pattern}" has an empty field name (%%).`;
    if ((pattern.match(/%/g)?.length ?? 0) % 2 === 1)
      return `The alias pattern "${pattern}" has a % without its closing %.`;
  }
  return null;
}

/** The connection's name: the API takes at most 100 characters. */
export const NAME_MAX = 100;

export function nameProblem(name: string): string | null {
  if (name.trim() === "") return null; // the connector's name is used
  if (name.trim().length > NAME_MAX)
    return `Use at most ${NAME_MAX} characters (this has ${name.trim().length}).`;
  return null;
}
