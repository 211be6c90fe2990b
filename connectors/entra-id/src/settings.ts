import { changeOptionsShape, syncOptionsShape } from "@roster/connector-kit";
import { z } from "zod";

/**
 * String properties of a Graph `user` an alias template may name
 * (learn.microsoft.com/graph/api/resources/user, "Properties").
 */
export const GRAPH_USER_STRING_FIELDS = [
  "id",
  "userPrincipalName",
  "mail",
  "givenName",
  "surname",
  "displayName",
  "onPremisesSamAccountName",
  "onPremisesUserPrincipalName",
  "onPremisesDomainName",
  "employeeId",
  "employeeType",
  "department",
  "jobTitle",
  "mailNickname",
  "companyName",
  "city",
  "state",
  "country",
  "postalCode",
  "streetAddress",
  "officeLocation",
  "usageLocation",
  "mobilePhone",
  "faxNumber",
  "preferredLanguage",
  "userType",
] as const;

const guid = (title: string, description: string) =>
  z
    .guid({ error: `${title} must be a GUID like 00000000-0000-0000-0000-000000000000.` })
    .transform((value) => value.toLowerCase())
    .meta({ title, description });

export const entraSettings = z
  .object({
    applicationId: guid(
      "Application (client) ID",
      "The app registration Roster syncs with; synced users also sign in through it. For Sign in with Microsoft, add the redirect URI shown on the connection to this app registration under Authentication → Add a platform → Web (not Single-page application), and grant admin consent for openid, profile and email.",
    ),
    directoryId: guid(
      "Directory (tenant) ID",
      "On the same Overview page: the directory the application belongs to.",
    ),
    groups: z
      .discriminatedUnion("mode", [
        z.object({ mode: z.literal("none") }),
        z.object({
          mode: z.literal("selected"),
          ids: z
            .array(guid("Group object ID", "A group's Object ID, from its Overview page."))
            .min(1, "Select at least one group.")
            .max(50, "At most 50 groups can be selected.")
            // Each id costs Graph calls on every connect and run: read each group once.
            .transform((ids) => [...new Set(ids)])
            .meta({
              "x-picker": "directory-groups",
              title: "Groups to synchronize",
              description: "Up to 50 groups; members of groups nested in them are included.",
            }),
        }),
      ])
      .default({ mode: "none" })
      .meta({
        title: "Groups",
        description: "None, or the groups to synchronize.",
      }),
    users: z.enum(["selectedGroups", "all"]).default("all").meta({
      title: "Users",
      description:
        "Selected groups: members of the selected groups and of groups nested in them. All: every user.",
    }),
    ...syncOptionsShape(GRAPH_USER_STRING_FIELDS, "%onPremisesSamAccountName%"),
    ...changeOptionsShape(),
  })
  .superRefine((settings, ctx) => {
    if (settings.users === "selectedGroups" && settings.groups.mode === "none") {
      ctx.addIssue({
        code: "custom",
        path: ["users"],
        message: "Users: Selected groups needs Groups: Selected with at least one group.",
      });
    }
  })
  .meta({ title: "Microsoft Entra ID" });

export type EntraSettings = z.output<typeof entraSettings>;
