import {
  type Connector,
  ConnectorError,
  defineConnector,
  syncOptionsShape,
} from "@roster/connector-kit";
import { z } from "zod";

/**
 * Google Workspace user properties an alias template may name (Admin SDK Directory API
 * `users` resource, flattened to strings).
 */
export const GOOGLE_TEMPLATE_FIELDS = [
  "primaryEmail",
  "givenName",
  "familyName",
  "fullName",
  "orgUnitPath",
  "employeeId",
  "id",
] as const;

export const googleSettings = z
  .object({
    adminEmail: z.email().meta({
      title: "Administrator to impersonate",
      description: "A super administrator the service account acts as (domain-wide delegation).",
    }),
    customerId: z.string().min(1).default("my_customer").meta({
      title: "Customer ID",
      description: "Your Google Workspace customer id, or my_customer.",
    }),
    orgUnits: z.array(z.string().startsWith("/")).default([]).meta({
      title: "Organizational units",
      description: "Only users in these org units (and below); empty means every user.",
    }),
    groups: z.array(z.email()).default([]).meta({
      title: "Groups",
      description: "Group email addresses to synchronize as application groups.",
    }),
    ...syncOptionsShape(GOOGLE_TEMPLATE_FIELDS, "%primaryEmail%"),
  })
  .meta({ title: "Google Workspace" });

const UNAVAILABLE =
  "The Google Workspace connector is coming soon: it cannot connect yet. Use Microsoft Entra ID meanwhile.";

/** Declared so administrators can see it coming; refuses to connect until implemented. */
export const googleWorkspace = (): Connector<typeof googleSettings> =>
  defineConnector({
    type: "google",
    displayName: "Google Workspace",
    status: "coming-soon",
    signIn: "google",
    settings: googleSettings,
    secret: {
      label: "Service account key (JSON)",
      schema: z.string().min(2).max(20_000),
    },
    templateFields: GOOGLE_TEMPLATE_FIELDS,
    selectedGroupIds: (settings) => settings.groups,
    connect: async () => ({ ok: false, code: "connector_unavailable", message: UNAVAILABLE }),
    // biome-ignore lint/correctness/useYield: refuses before reading anything
    readUsers: async function* () {
      throw new ConnectorError("connector_unavailable", UNAVAILABLE);
    },
    readGroups: async () => {
      throw new ConnectorError("connector_unavailable", UNAVAILABLE);
    },
  });
