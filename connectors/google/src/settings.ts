import { resolveTemplateFields, syncOptionsShape } from "@roster/connector-kit";
import { z } from "zod";

/**
 * Google user fields an alias template may name, flattened to strings
 * (developers.google.com/workspace/admin/directory/reference/rest/v1/users):
 * `externalIds` is the `organization` external id (else the first), `aliases` the first alias,
 * `organizations.*` the primary organization's. Custom schema fields are `%Schema.Field%`.
 */
export const GOOGLE_TEMPLATE_FIELDS = [
  "primaryEmail",
  "name.givenName",
  "name.familyName",
  "name.fullName",
  "externalIds",
  "aliases",
  "orgUnitPath",
  "organizations.department",
  "organizations.title",
  "organizations.costCenter",
  "id",
] as const;

const BUILT_IN_PREFIXES = new Set(["name", "organizations"]);
const CUSTOM_FIELD = /^[A-Za-z][\w-]*\.[A-Za-z][\w-]*$/;

/** `Schema.Field` names of the template that are custom schema fields, as written. */
export function customSchemaFields(template: string): string[] {
  return [...resolveTemplateFields(template, GOOGLE_TEMPLATE_FIELDS)]
    .filter(([name, canonical]) => canonical === undefined && isCustomField(name))
    .map(([name]) => name);
}

const isCustomField = (name: string) =>
  CUSTOM_FIELD.test(name) && !BUILT_IN_PREFIXES.has(name.split(".")[0]?.toLowerCase() ?? "");

/** The kit's alias template rules, plus `%Schema.Field%` for custom schema fields. */
const aliasTemplate = syncOptionsShape(GOOGLE_TEMPLATE_FIELDS, "%primaryEmail%").aliasTemplate;
const googleAliasTemplate = z
  .string()
  .max(1000)
  .default("%primaryEmail%")
  .superRefine((template, ctx) => {
    const unknown = [...resolveTemplateFields(template, GOOGLE_TEMPLATE_FIELDS)]
      .filter(([name, canonical]) => canonical === undefined && !isCustomField(name))
      .map(([name]) => name);
    if (unknown.length > 0) {
      ctx.addIssue({
        code: "custom",
        message: `Unknown alias field${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`,
        params: { unknownFields: unknown },
      });
    }
  })
  .meta({
    ...aliasTemplate.meta(),
    description:
      "Patterns separated by ';'; each mixes text and %field% names, e.g. %name.givenName%.%name.familyName%, or a custom schema field as %Schema.Field%",
    examples: ["%primaryEmail%", "%name.givenName%.%name.familyName%;%HR.EmployeeNumber%"],
  });

const orgUnitPath = z
  .string()
  .trim()
  .regex(/^\/[^']*$/, "An org unit path starts with / (e.g. /Sales/EMEA) and has no quote.")
  .transform((path) => (path.length > 1 ? path.replace(/\/+$/, "") : path));

/** The first of each set of entries that `keyOf` says are the same, in order. */
function uniqueBy(entries: string[], keyOf: (entry: string) => string): string[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = keyOf(entry);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, "A domain such as example.com.");

export const googleSettings = z
  .object({
    adminEmail: z
      .email("The administrator to impersonate must be an email address.")
      .trim()
      .toLowerCase()
      .meta({
        title: "Administrator to impersonate",
        description:
          "A Workspace administrator allowed to read users and groups; the service account acts as this user (domain-wide delegation).",
      }),
    customerId: z
      .string()
      .trim()
      .regex(/^(my_customer|C[0-9A-Za-z]{5,})$/, "my_customer, or a customer id such as C01abcde2.")
      .default("my_customer")
      .meta({
        title: "Customer ID",
        description:
          "my_customer (the administrator's own account), or the id under Admin console → Account → Account settings.",
      }),
    users: z.enum(["all", "selectedGroups", "orgUnits"]).default("all").meta({
      title: "Users",
      description:
        "All: every user. Selected groups: members of the groups below and of groups nested in them. Org units: users of the org units below and their sub-units.",
    }),
    groups: z
      .array(z.string().trim().min(1).max(320))
      .max(50, "At most 50 groups can be selected.")
      // Each group costs Directory API calls on every connect and run: read each once.
      // Group emails are case-insensitive; ids are not (…/rest/v1/groups: `id`, `email`).
      .transform((keys) => uniqueBy(keys, (key) => (key.includes("@") ? key.toLowerCase() : key)))
      .default([])
      .meta({
        "x-picker": "directory-groups",
        title: "Groups",
        description:
          "Group email addresses or ids: synchronized as application groups, and read for Users: Selected groups.",
      }),
    orgUnits: z
      .array(orgUnitPath)
      .max(50, "At most 50 org units can be selected.")
      .transform((paths) => uniqueBy(paths, (path) => path))
      .default([])
      .meta({
        title: "Org units",
        description:
          "Org unit paths such as /Sales/EMEA, for Users: Org units; sub-units included.",
      }),
    signInClientId: z
      .string()
      .trim()
      .regex(
        /^$|^[\w.-]+\.apps\.googleusercontent\.com$/,
        "A client id ending in .apps.googleusercontent.com.",
      )
      .default("")
      .meta({
        title: "Sign-in OAuth client ID",
        description:
          "Client id of a Web OAuth client (user type Internal) for Sign in with Google; empty turns Sign in with Google off. Its secret goes into the secret below.",
      }),
    signInDomains: z.array(domain).max(20).default([]).meta({
      title: "Sign-in domains",
      description:
        "The Workspace's primary domain (the ID token's hd); empty means the administrator's domain.",
    }),
    ...syncOptionsShape(GOOGLE_TEMPLATE_FIELDS, "%primaryEmail%"),
    aliasTemplate: googleAliasTemplate,
  })
  .superRefine((settings, ctx) => {
    if (settings.users === "selectedGroups" && settings.groups.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["users"],
        message: "Users: Selected groups needs at least one group.",
      });
    }
    if (settings.users === "orgUnits" && settings.orgUnits.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["users"],
        message: "Users: Org units needs at least one org unit path.",
      });
    }
  })
  .meta({ title: "Google Workspace" });

export type GoogleSettings = z.output<typeof googleSettings>;

/** The domains whose users may sign in: the configured ones, else the administrator's. */
export const signInDomainsOf = (settings: GoogleSettings): string[] =>
  settings.signInDomains.length > 0
    ? settings.signInDomains
    : [settings.adminEmail.split("@")[1] ?? ""];
