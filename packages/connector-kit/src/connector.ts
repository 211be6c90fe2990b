import type { z } from "zod";
import type { ChangeStream } from "./changes.ts";
import {
  cleanChangePages,
  cleanDirectoryGroup,
  cleanDirectoryUser,
  cleanGroupMatch,
  cleanUserPages,
} from "./directory-text.ts";
import type { ConnectErrorCode } from "./errors.ts";
import type { SignInProvider } from "./sign-in.ts";

/** Structured logger handed to connectors. Never pass secrets to it. */
export interface ConnectorLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** How a synced user signs in: through the directory it came from. */
export type DirectorySignIn = "microsoft" | "google";

/** One user as a directory returns it, normalized across connectors. */
export type DirectoryUser = {
  /** The directory's stable object id (Entra `id`, Google `id`). */
  externalId: string;
  /** Derived per spec §4.2: `mail`, else a UPN that is an address and not a guest `#EXT#` name. */
  email: string | null;
  givenName: string | null;
  surname: string | null;
  displayName: string | null;
  /** `false` for disabled (Entra `accountEnabled = false`) or suspended (Google) accounts. */
  enabled: boolean;
  /**
   * String properties requested for alias templates, keyed by the connector's canonical
   * field name (one of `templateFields`). Missing or empty values are `null`.
   */
  attributes: Readonly<Record<string, string | null>>;
  /**
   * Set by the kit when the directory gave an email that is not exactly one address (a list,
   * CRLF, a display-name form): `email` is then null and the engine fails the user with
   * that reason (spec §4.12). Connectors never set it.
   */
  emailRefused?: true;
};

/** A selected directory group with its transitive user members. */
export type DirectoryGroup = {
  externalId: string;
  name: string;
  /** External ids of every user in the group or in a group nested in it, each once. */
  memberIds: readonly string[];
};

/** A directory group found by a search: enough to pick it by name. */
export type GroupMatch = {
  externalId: string;
  name: string;
  /** Something that tells two groups of the same name apart (an email, a description). */
  detail: string | null;
};

/** Which single user `readUser` reads: the directory id, or an email address. */
export type UserKey = { externalId: string } | { email: string };

/** One user read on its own, and whether a run would read it. */
export type SingleUser = { user: DirectoryUser; inScope: boolean };

/** Most groups `searchGroups` returns: a picker shows a short list, the admin types more. */
export const MAX_GROUP_MATCHES = 20;

/** Options every call receives. */
export type Input<S> = {
  settings: S;
  secret: string;
  log: ConnectorLogger;
  signal?: AbortSignal;
};

/** `readUsers` also receives the template fields to request (for Graph: `$select`). */
export type ReadInput<S> = Input<S> & { fields: readonly string[] };

export type ConnectResult =
  | { ok: true }
  | { ok: false; code: ConnectErrorCode; message: string; details?: Record<string, unknown> };

/**
 * A directory plugged into Roster. Build one with a factory and check it with
 * `defineConnector`; register it in the API's list of installed connectors.
 */
export interface Connector<S extends z.ZodObject = z.ZodObject> {
  /** Stable id stored on connections, e.g. `entra-id`. */
  type: string;
  displayName: string;
  status: "available" | "coming-soon";
  /** How users synced from this directory sign in. */
  signIn: DirectorySignIn;
  /** The settings form: validates API input and renders as JSON Schema in the admin UI. */
  settings: S;
  /** The write-only secret: its label in the form and its validation. */
  secret: { label: string; schema: z.ZodType<string> };
  /** Field names an alias template may name as `%field%` (canonical casing). */
  templateFields: readonly string[];
  /** Group ids the settings select for synchronization as application groups ([] for none). */
  selectedGroupIds(settings: z.output<S>): readonly string[];
  /** Tests credentials, permissions and scope. Never throws for expected failures. */
  connect(input: Input<z.output<S>>): Promise<ConnectResult>;
  /**
   * Reads the scoped users page by page. The read is complete if and only if the iterator
   * finishes without throwing; any failure throws a `ConnectorError`.
   */
  readUsers(input: ReadInput<z.output<S>>): AsyncIterable<DirectoryUser[]>;
  /**
   * Optional: incremental reads. `null` starts tracking with a complete read; a cursor returns
   * only what changed since. The generator's return value is the next cursor. The full
   * contract is in `changes.ts`. Connectors without it are always read in full.
   */
  readChanges?(input: ReadInput<z.output<S>>, cursor: string | null): ChangeStream;
  /** Reads the given groups with their transitive user members; throws `ConnectorError` on failure. */
  readGroups(input: Input<z.output<S>>, ids: readonly string[]): Promise<DirectoryGroup[]>;
  /**
   * Optional: groups whose name starts with `query` (a word of it, where the directory
   * searches by word), at most `MAX_GROUP_MATCHES`, for the settings form's group picker.
   * Throws `ConnectorError` on failure.
   */
  searchGroups?(input: Input<z.output<S>>, query: string): Promise<GroupMatch[]>;
  /**
   * Optional: one user of the directory by id or email, as `readUsers` would yield it, and
   * whether the settings' scope (all users, selected groups, org units) includes it; `null`
   * when the directory has no such user (provision on demand). Throws `ConnectorError`.
   */
  readUser?(input: ReadInput<z.output<S>>, key: UserKey): Promise<SingleUser | null>;
  /**
   * Sign in through the directory (spec §4.10): present when the directory can sign its
   * synced users in with OpenID Connect. Its `id` must equal `signIn`.
   */
  signInProvider?: SignInProvider<z.output<S>>;
}

const guarded = new WeakSet<object>();

/**
 * Checks a connector object against the interface and guards what it reads: every user and
 * group it yields passes through `directory-text.ts` (well-formed, no control characters,
 * capped, one email address), so no connector can hand the engine hostile text.
 */
export function defineConnector<S extends z.ZodObject>(connector: Connector<S>): Connector<S> {
  if (guarded.has(connector)) return connector;
  const safe: Connector<S> = {
    ...connector,
    readUsers: (input) => cleanUserPages(connector.readUsers(input), input.log),
    ...(connector.readChanges
      ? {
          readChanges: (input, cursor) =>
            cleanChangePages(
              (connector.readChanges as NonNullable<typeof connector.readChanges>)(input, cursor),
              input.log,
            ),
        }
      : {}),
    readGroups: async (input, ids) =>
      (await connector.readGroups(input, ids)).map(cleanDirectoryGroup),
  };
  const { searchGroups, readUser } = connector;
  if (searchGroups) {
    safe.searchGroups = async (input, query) =>
      (await searchGroups(input, query)).slice(0, MAX_GROUP_MATCHES).map(cleanGroupMatch);
  }
  if (readUser) {
    safe.readUser = async (input, key) => {
      const found = await readUser(input, key);
      return found ? { user: cleanDirectoryUser(found.user), inScope: found.inScope } : null;
    };
  }
  guarded.add(safe);
  return safe;
}
