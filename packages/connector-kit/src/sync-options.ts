import { z } from "zod";
import { aliasTemplateSchema } from "./alias-template.ts";

/**
 * The sync options every connector's settings carry (spec §3). Connectors spread
 * `syncOptionsShape(fields)` into their settings object; core reads them back with
 * `syncOptionsSchema`, ignoring the connector-specific keys.
 */
export const syncOptionsShape = (templateFields: readonly string[], defaultTemplate: string) => ({
  aliasTemplate: aliasTemplateSchema(templateFields)
    .default(defaultTemplate)
    .meta({
      title: "Source fields for aliases",
      description:
        "Patterns separated by ';'; each mixes text and %field% names, e.g. %givenName%.%surname%",
      examples: [defaultTemplate, "%givenName%.%surname%;%surname%-%givenName%"],
    }),
  sendPinEmails: z.boolean().default(false).meta({
    title: "Send PIN emails",
    description: "New users receive a welcome email with their PIN.",
  }),
  manageExistingUsers: z.boolean().default(false).meta({
    title: "Manage existing users",
    description: "Users that already exist are linked, updated and kept in step.",
  }),
  allowDisplayName: z.boolean().default(false).meta({
    title: "Allow use 'Display name'",
    description: "Derive first and last name from the display name when the directory lacks them.",
  }),
  aliasesWithoutInvalidCharacters: z.boolean().default(false).meta({
    title: "Also create aliases without invalid characters",
    description: 'Adds each alias again without " [ ] : ; | = + * ? < > / \\ , . and spaces.',
  }),
  manageUserDeletion: z.boolean().default(false).meta({
    title: "Manage user deletion",
    description: "Users the directory no longer returns are deleted (soft).",
  }),
  deletionLimit: z
    .object({
      percent: z.number().int().min(0).max(100).default(10).meta({
        title: "Percent of users",
        description: "The limit as a share of the connection's synced users.",
      }),
      minimum: z.number().int().min(0).default(20).meta({
        title: "At least",
        description: "The limit is never lower than this many users.",
      }),
    })
    .default({ percent: 10, minimum: 20 })
    .meta({
      title: "Deletion limit",
      description:
        "A run that would delete more users than this stops for review instead of deleting.",
    }),
});

/** Options of connectors that read changes only (`readChanges`). */
export const changeOptionsShape = () => ({
  fullSyncEveryDays: z.number().int().min(1).max(30).default(7).meta({
    title: "Read everything every (days)",
    description:
      "Runs read only what changed since the last run; every this many days a run reads the whole directory to catch anything missed.",
  }),
});

/** Reads the common sync options out of any connector's parsed settings. */
export const syncOptionsSchema = z.object({
  aliasTemplate: z.string(),
  sendPinEmails: z.boolean(),
  manageExistingUsers: z.boolean(),
  allowDisplayName: z.boolean(),
  aliasesWithoutInvalidCharacters: z.boolean(),
  manageUserDeletion: z.boolean(),
  deletionLimit: z.object({ percent: z.number(), minimum: z.number() }),
  fullSyncEveryDays: z.number().default(7),
});

export type SyncOptions = z.infer<typeof syncOptionsSchema>;
