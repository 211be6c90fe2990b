import { z } from "zod";
import {
  type ChangeStream,
  type RemovalReason,
  type ResyncReason,
  ResyncRequiredError,
} from "../changes.ts";
import {
  type Connector,
  type DirectoryGroup,
  type DirectoryUser,
  defineConnector,
} from "../connector.ts";
import { ConnectorError } from "../errors.ts";
import { changeOptionsShape, syncOptionsShape } from "../sync-options.ts";

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
  /** `readChanges` with a cursor throws `ResyncRequiredError` with this reason. */
  resync?: ResyncReason;
  /** The reason `readChanges` gives for a user no longer listed (default `deleted`). */
  removalReasons?: Record<string, RemovalReason>;
};

export const toySettings = z.object({
  groupIds: z.array(z.string()).default([]).meta({
    "x-picker": "directory-groups",
    title: "Groups",
    description: "Ids of the groups to synchronize as application groups.",
  }),
  users: z.enum(["all", "selectedGroups"]).default("all").meta({
    title: "Users",
    description: "All: every user. Selected groups: members of the groups above.",
  }),
  ...syncOptionsShape(TOY_TEMPLATE_FIELDS, "%username%"),
  ...changeOptionsShape(),
});

/**
 * A directory that lives in memory: proves that a connector defined outside the
 * connectors folder plugs in, and gives core tests a directory they can shape freely.
 */
export const toyConnector = (
  directory: ToyDirectory,
  type = "toy",
): Connector<typeof toySettings> => {
  const connector: Connector<typeof toySettings> = defineConnector({
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
    async *readUsers({ settings, secret, signal, fields }) {
      if (secret === "wrong")
        throw new ConnectorError("invalid_secret", "The toy secret is wrong.");
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
      // Selected groups: each member once, however many selected groups hold it.
      const members = new Set(
        directory.groups
          .filter((group) => settings.groupIds.includes(group.externalId))
          .flatMap((group) => group.memberIds),
      );
      const users =
        settings.users === "all"
          ? directory.users
          : directory.users.filter((user) => members.has(user.externalId));
      for (let start = 0, page = 0; start < users.length; start += size, page += 1) {
        if (signal?.aborted) throw new ConnectorError("aborted", "The read was aborted.");
        if (directory.failAfterPage !== undefined && page >= directory.failAfterPage) {
          throw new ConnectorError("read_failed", `The toy directory failed on page ${page + 1}.`);
        }
        await directory.beforePage?.(page);
        yield users.slice(start, start + size).map(withFields);
      }
    },
    // Incremental reads: the cursor is a snapshot of the users as last read; changes are the diff.
    async *readChanges(input, cursor): ChangeStream {
      const users = new Map<string, DirectoryUser>();
      for await (const page of connector.readUsers(input)) {
        for (const user of page) users.set(user.externalId, user);
        if (cursor === null) yield { upserted: page, removed: [] };
      }
      const issuedAt = new Date();
      const end = { cursor: JSON.stringify([...users.values()]), issuedAt };
      if (cursor === null) return end;
      if (directory.resync)
        throw new ResyncRequiredError(directory.resync, "The toy cursor is no longer valid.");
      const before = new Map(
        (JSON.parse(cursor) as DirectoryUser[]).map((user) => [user.externalId, user]),
      );
      const upserted = [...users.values()].filter(
        (user) => JSON.stringify(user) !== JSON.stringify(before.get(user.externalId)),
      );
      const removed = [...before.keys()]
        .filter((id) => !users.has(id))
        .map((externalId) => ({
          externalId,
          reason: directory.removalReasons?.[externalId] ?? ("deleted" as const),
        }));
      const size = directory.pageSize ?? 100;
      for (let start = 0; start < Math.max(upserted.length, removed.length); start += size) {
        yield {
          upserted: upserted.slice(start, start + size),
          removed: removed.slice(start, start + size),
        };
      }
      return end;
    },
    // Like Graph's $search on displayName: a word of the name starts with the query.
    async searchGroups(_input, query) {
      const wanted = query.trim().toLowerCase();
      return directory.groups
        .filter((group) =>
          group.name
            .toLowerCase()
            .split(/\s+/)
            .some((word) => word.startsWith(wanted)),
        )
        .map((group) => ({ externalId: group.externalId, name: group.name, detail: null }));
    },
    async readUser({ fields, settings }, key) {
      const user =
        "externalId" in key
          ? directory.users.find((candidate) => candidate.externalId === key.externalId)
          : directory.users.find(
              (candidate) => candidate.email?.toLowerCase() === key.email.toLowerCase(),
            );
      if (!user) return null;
      const inScope =
        settings.users === "all" ||
        directory.groups.some(
          (group) =>
            settings.groupIds.includes(group.externalId) &&
            group.memberIds.includes(user.externalId),
        );
      const attributes = Object.fromEntries(
        fields.map((field) => [
          field,
          user.attributes[field] ??
            (field === "givenName" ? user.givenName : field === "surname" ? user.surname : null),
        ]),
      );
      return { user: { ...user, attributes }, inScope };
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
  return connector;
};

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

export * from "./conformance.ts";
