import { z } from "zod";
import {
  type Connector,
  type DirectoryGroup,
  type DirectoryUser,
  defineConnector,
} from "../connector.ts";
import { ConnectorError } from "../errors.ts";
import { syncOptionsShape } from "../sync-options.ts";

export const TOY_TEMPLATE_FIELDS = ["username", "givenName", "surname", "department"] as const;

/** An in-memory directory the toy connector reads; tests mutate it between runs. */
export type ToyDirectory = {
  users: DirectoryUser[];
  groups: DirectoryGroup[];
  pageSize?: number;
  /** Throw after this many pages: an incomplete read. */
  failAfterPage?: number;
  /** Awaited before each page is returned: a test acts mid-read, as a slow directory would. */
  beforePage?: (page: number) => Promise<void> | void;
};

export const toySettings = z.object({
  groupIds: z.array(z.string()).default([]),
  ...syncOptionsShape(TOY_TEMPLATE_FIELDS, "%username%"),
});

/**
 * A directory that lives in memory: proves that a connector defined outside the
 * connectors folder plugs in, and gives core tests a directory they can shape freely.
 */
export const toyConnector = (
  directory: ToyDirectory,
  type = "toy",
): Connector<typeof toySettings> =>
  defineConnector({
    type,
    displayName: "Toy directory",
    status: "available",
    signIn: "microsoft",
    settings: toySettings,
    secret: { label: "Toy secret", schema: z.string().min(1) },
    templateFields: TOY_TEMPLATE_FIELDS,
    selectedGroupIds: (settings) => settings.groupIds,
    async connect({ secret }) {
      return secret === "wrong"
        ? { ok: false, code: "invalid_secret", message: "The toy secret is wrong." }
        : { ok: true };
    },
    async *readUsers({ signal, fields }) {
      // Like a real directory, return the requested fields; names come from the user itself.
      const withFields = (user: DirectoryUser): DirectoryUser => ({
        ...user,
        attributes: Object.fromEntries(
          fields.map((field) => [
            field,
            user.attributes[field] ??
              (field === "givenName" ? user.givenName : field === "surname" ? user.surname : null),
          ]),
        ),
      });
      const size = directory.pageSize ?? 100;
      for (let start = 0, page = 0; start < directory.users.length; start += size, page += 1) {
        if (signal?.aborted) throw new ConnectorError("aborted", "The read was aborted.");
        if (directory.failAfterPage !== undefined && page >= directory.failAfterPage) {
          throw new ConnectorError("read_failed", `The toy directory failed on page ${page + 1}.`);
        }
        await directory.beforePage?.(page);
        yield directory.users.slice(start, start + size).map(withFields);
      }
    },
    async readGroups(_input, ids) {
      const missing = ids.filter(
        (id) => !directory.groups.some((group) => group.externalId === id),
      );
      if (missing.length > 0) {
        throw new ConnectorError("group_not_found", "Some groups do not exist.", { ids: missing });
      }
      return directory.groups.filter((group) => ids.includes(group.externalId));
    },
  });

/** A directory user with sensible defaults, for tests. */
export const toyUser = (
  externalId: string,
  overrides: Partial<DirectoryUser> = {},
): DirectoryUser => ({
  externalId,
  email: `${externalId}@example.com`,
  givenName: `Given${externalId}`,
  surname: `Sur${externalId}`,
  displayName: `Given${externalId} Sur${externalId}`,
  enabled: true,
  attributes: { username: externalId },
  ...overrides,
});
