import { GraphFailure } from "../errors.ts";
import type { SimUser } from "../model.ts";

/**
 * OData query options as Graph v1.0 applies them to directory objects.
 * Sources: learn.microsoft.com/graph/query-parameters, /graph/paging,
 * /graph/api/user-list (default properties, $top range), /graph/aad-advanced-queries.
 */

export const USER_PROPERTIES = [
  "id",
  "userPrincipalName",
  "mail",
  "givenName",
  "surname",
  "displayName",
  "accountEnabled",
  "userType",
  "onPremisesSamAccountName",
  "employeeId",
  "department",
  "jobTitle",
  "mailNickname",
  "companyName",
  "city",
  "country",
  "officeLocation",
  "mobilePhone",
  "preferredLanguage",
  "employeeType",
  "state",
  "postalCode",
  "streetAddress",
  "usageLocation",
  "faxNumber",
  "onPremisesUserPrincipalName",
  "onPremisesDomainName",
  "businessPhones",
  "otherMails",
  "proxyAddresses",
  "createdDateTime",
] as const satisfies readonly (keyof SimUser)[];

export type UserProperty = (typeof USER_PROPERTIES)[number];

/** Returned when a request names no `$select` (user-list.md: "default properties"). */
export const DEFAULT_USER_PROPERTIES: UserProperty[] = [
  "businessPhones",
  "displayName",
  "givenName",
  "id",
  "jobTitle",
  "mail",
  "mobilePhone",
  "officeLocation",
  "preferredLanguage",
  "surname",
  "userPrincipalName",
];

const byLowerName = new Map(USER_PROPERTIES.map((name) => [name.toLowerCase(), name]));

/** `$select` resolved to canonical names (Graph matches them case-insensitively); `id` always. */
export function parseSelect(raw: string | undefined): UserProperty[] {
  if (raw === undefined || raw.trim() === "") return DEFAULT_USER_PROPERTIES;
  const names = raw
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const selected = new Set<UserProperty>(["id"]);
  for (const name of names) {
    const canonical = byLowerName.get(name.toLowerCase());
    if (!canonical) {
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        `Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
      );
    }
    selected.add(canonical);
  }
  return [...selected];
}

export function project(
  user: SimUser,
  properties: readonly UserProperty[],
): Record<string, unknown> {
  return Object.fromEntries(properties.map((name) => [name, user[name]]));
}

/** Delta responses omit properties that were never set instead of sending `null`. */
export function projectForDelta(user: SimUser, properties: readonly UserProperty[]) {
  return Object.fromEntries(
    properties.map((name) => [name, user[name]]).filter(([, value]) => value !== null),
  );
}

/** `$top`: 1–999, default 100 (directory objects). */
export function parseTop(raw: string | undefined, fallback = 100): number {
  if (raw === undefined) return fallback;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > 999) {
    throw new GraphFailure(
      400,
      "Request_UnsupportedQuery",
      `Invalid page size specified: '${raw}'. Must be between 1 and 999 inclusive.`,
    );
  }
  return top;
}

/** An opaque, URL-safe token (Graph's skiptokens are base64url-like). */
export const encodeToken = (value: unknown) =>
  Buffer.from(JSON.stringify(value)).toString("base64url");

export function decodeToken<T>(raw: string): T | null {
  try {
    return JSON.parse(Buffer.from(raw, "base64url").toString("utf8")) as T;
  } catch {
    return null;
  }
}

type Predicate = (user: SimUser) => boolean;

const unsupported = () => new GraphFailure(400, "Request_UnsupportedQuery", "Unsupported Query.");

/**
 * A `$filter` over users: `prop eq value`, `startswith(prop,'x')`, `prop in ('a','b')`
 * joined by `and`; `ne` and `endswith` only as advanced queries
 * (`ConsistencyLevel: eventual` + `$count=true`), as Graph requires.
 */
export function parseUserFilter(raw: string | undefined, advanced: boolean): Predicate {
  if (raw === undefined || raw.trim() === "") return () => true;
  const clauses = raw.split(/\s+and\s+/i).map((clause) => parseClause(clause.trim(), advanced));
  return (user) => clauses.every((clause) => clause(user));
}

const LITERAL = "('(?:[^']|'')*'|true|false|null)";

function parseClause(clause: string, advanced: boolean): Predicate {
  const compare = new RegExp(String.raw`^(\w+)\s+(eq|ne)\s+${LITERAL}$`, "i").exec(clause);
  if (compare) {
    const [, name, op, literal] = compare as unknown as [string, string, string, string];
    if (op.toLowerCase() === "ne" && !advanced) throw unsupported();
    const read = propertyReader(name);
    const value = parseLiteral(literal);
    const equal = (user: SimUser) => equalish(read(user), value);
    return op.toLowerCase() === "eq" ? equal : (user) => !equal(user);
  }
  const fn = new RegExp(String.raw`^(startswith|endswith)\((\w+)\s*,\s*${LITERAL}\)$`, "i").exec(
    clause,
  );
  if (fn) {
    const [, op, name, literal] = fn as unknown as [string, string, string, string];
    if (op.toLowerCase() === "endswith" && !advanced) throw unsupported();
    const read = propertyReader(name);
    const value = String(parseLiteral(literal)).toLowerCase();
    return (user) => {
      const actual = read(user);
      if (typeof actual !== "string") return false;
      const lower = actual.toLowerCase();
      return op.toLowerCase() === "startswith" ? lower.startsWith(value) : lower.endsWith(value);
    };
  }
  const list = /^(\w+)\s+in\s+\((.*)\)$/i.exec(clause);
  if (list) {
    const [, name, items] = list as unknown as [string, string, string];
    const read = propertyReader(name);
    const values = (items.match(new RegExp(LITERAL, "g")) ?? []).map(parseLiteral);
    return (user) => values.some((value) => equalish(read(user), value));
  }
  throw new GraphFailure(400, "BadRequest", `Invalid filter clause: ${clause}`);
}

function propertyReader(name: string): (user: SimUser) => unknown {
  const canonical = byLowerName.get(name.toLowerCase());
  if (!canonical) {
    throw new GraphFailure(
      400,
      "Request_BadRequest",
      `Could not find a property named '${name}' on type 'microsoft.graph.user'.`,
    );
  }
  return (user) => user[canonical];
}

function parseLiteral(literal: string): string | boolean | null {
  if (literal === "true") return true;
  if (literal === "false") return false;
  if (literal === "null") return null;
  return literal.slice(1, -1).replaceAll("''", "'");
}

/** String comparisons in directory filters are case-insensitive. */
const equalish = (actual: unknown, expected: unknown) =>
  typeof actual === "string" && typeof expected === "string"
    ? actual.toLowerCase() === expected.toLowerCase()
    : actual === expected;
