import {
  type AliasPattern,
  capLength,
  MAX_ALIAS_LENGTH,
  parseAliasTemplate,
} from "@roster/connector-kit";

/** Characters an alias "without invalid characters" drops (spec §5), and spaces. */
const INVALID_ALIAS_CHARACTERS = /["[\]:;|=+*?<>/\\,. ]/g;

export type AliasBuilder = (attributes: Readonly<Record<string, string | null>>) => string[];

/**
 * Compiles an alias template once per run. Field names resolve case-insensitively against
 * the attribute keys the connector returns; a pattern whose field is empty yields nothing.
 */
export function compileAliasTemplate(template: string, stripInvalid: boolean): AliasBuilder {
  const patterns: AliasPattern[] = parseAliasTemplate(template);
  return (attributes) => {
    let byLower: Map<string, string | null> | null = null;
    const fieldValue = (name: string) => {
      if (name in attributes) return attributes[name];
      byLower ??= new Map(
        Object.entries(attributes).map(([key, value]) => [key.toLowerCase(), value]),
      );
      return byLower.get(name.toLowerCase());
    };
    const aliases: string[] = [];
    for (const pattern of patterns) {
      let alias = "";
      let complete = true;
      for (const part of pattern) {
        if (part.kind === "text") {
          alias += part.value;
          continue;
        }
        const value = fieldValue(part.name);
        if (!value) {
          complete = false;
          break;
        }
        alias += value;
      }
      alias = capLength(alias.trim(), MAX_ALIAS_LENGTH);
      if (!complete || alias === "") continue;
      aliases.push(alias);
      if (stripInvalid) {
        const stripped = alias.replace(INVALID_ALIAS_CHARACTERS, "");
        if (stripped !== "" && stripped !== alias) aliases.push(stripped);
      }
    }
    // One alias once, compared case-insensitively like the unique index does.
    const seen = new Set<string>();
    return aliases.filter((alias) => {
      const key = alias.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  };
}
