import { z } from "zod";

/** One piece of an alias pattern: literal text or a `%field%` reference. */
export type TemplatePart = { kind: "text"; value: string } | { kind: "field"; name: string };
export type AliasPattern = readonly TemplatePart[];

/**
 * Parses `%givenName%.%surname%;%surname%-%givenName%` into patterns (spec §5).
 * Never throws: an unmatched `%` is literal text. Empty patterns are dropped.
 */
export function parseAliasTemplate(template: string): AliasPattern[] {
  return template
    .split(";")
    .map((pattern) => parsePattern(pattern.trim()))
    .filter((parts) => parts.length > 0);
}

function parsePattern(pattern: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  const fieldRef = /%([^%;]+)%/g;
  let last = 0;
  for (const match of pattern.matchAll(fieldRef)) {
    const name = (match[1] ?? "").trim();
    if (match.index > last) parts.push({ kind: "text", value: pattern.slice(last, match.index) });
    parts.push({ kind: "field", name });
    last = match.index + match[0].length;
  }
  if (last < pattern.length) parts.push({ kind: "text", value: pattern.slice(last) });
  // Text between fields is kept as written: "%givenName% %surname%" is "John Doe".
  return parts.filter((part) => part.kind === "field" || part.value !== "");
}

/** Field names a template refers to, as written. */
export const templateFieldNames = (template: string): string[] =>
  parseAliasTemplate(template).flatMap((pattern) =>
    pattern.flatMap((part) => (part.kind === "field" ? [part.name] : [])),
  );

/**
 * Maps each field the template names to its canonical casing among `fields`
 * (case-insensitive, spec §5: `%surName%` is `surname`). Unknown names map to `undefined`.
 */
export function resolveTemplateFields(
  template: string,
  fields: readonly string[],
): Map<string, string | undefined> {
  const byLower = new Map(fields.map((field) => [field.toLowerCase(), field]));
  return new Map(
    templateFieldNames(template).map((name) => [name, byLower.get(name.toLowerCase())]),
  );
}

/**
 * What is wrong with each pattern's `%` signs: an unmatched `%` (`%givenName`) or an empty
 * `%%`. Left in, the parser would read them as literal text, and the next run would give
 * one user a literal alias and take every other user's aliases away.
 */
export function malformedPatterns(template: string): string[] {
  const problems: string[] = [];
  for (const pattern of template.split(";").map((part) => part.trim())) {
    if (pattern.includes("%%")) problems.push(`"${pattern}" has an empty field name (%%)`);
    else if ((pattern.match(/%/g)?.length ?? 0) % 2 === 1)
      problems.push(`"${pattern}" has a % without its closing %`);
  }
  return problems;
}

/** A zod string that accepts only well-formed templates whose fields are all among `fields`. */
export const aliasTemplateSchema = (fields: readonly string[]) =>
  z
    .string()
    .max(1000)
    .superRefine((template, ctx) => {
      for (const problem of malformedPatterns(template)) {
        ctx.addIssue({ code: "custom", message: `The alias pattern ${problem}.` });
      }
      const unknown = [...resolveTemplateFields(template, fields)]
        .filter(([, canonical]) => canonical === undefined)
        .map(([name]) => name);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `Unknown alias field${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
          params: { unknownFields: unknown },
        });
      }
    });
