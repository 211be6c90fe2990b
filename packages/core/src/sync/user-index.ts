import type { Client } from "@libsql/client";
import { letRequestsIn } from "./event-loop.ts";
import { userChunks } from "./store/user-chunks.ts";

/** What matching needs to know about one application user. */
export type KnownUser = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  tags: readonly string[];
  connectionId: string | null;
  externalId: string | null;
  deleted: boolean;
  aliases: string[];
  /** Holds a permission-granting role (before this run). */
  privileged: boolean;
  /** Can sign in with a password (before this run). */
  hasPassword: boolean;
};

/**
 * The tenant's users as matching sees them, loaded in a few bulk queries at the start of a
 * run (no per-user SELECT in the hot path). The planner updates it as it decides, so a
 * later directory user sees the emails, aliases and PINs an earlier one claimed.
 */
export class UserIndex {
  /** Users of this connection by directory object id. */
  readonly byExternalId = new Map<string, KnownUser>();
  /** Every user of the tenant (soft-deleted included) by lower-cased email. */
  readonly byEmail = new Map<string, KnownUser>();
  /** Lower-cased alias → the user holding it. */
  readonly aliasOwner = new Map<string, string>();
  readonly pinHashes = new Set<string>();

  static async load(
    client: Client,
    tenantId: string,
    connectionId: string,
    chunkUsers = LOAD_CHUNK_USERS,
  ): Promise<UserIndex> {
    const index = new UserIndex();
    // Most users share one tags value: one frozen array for each value, not one per user.
    const tagLists = new Map<string, readonly string[]>();
    for await (const chunk of userChunks(client, tenantId, chunkUsers)) {
      // Aliases attach through a map of this chunk only: a tenant-wide one would cost a
      // million inserts at a million users, and nothing else needs users by id.
      const byId = new Map<string, KnownUser>();
      for (const [
        id,
        email,
        firstName,
        lastName,
        tags,
        connection,
        externalId,
        deleted,
        pinHash,
        ,
        hasPassword,
        privileged,
      ] of chunk.users) {
        const user: KnownUser = {
          id,
          email,
          firstName,
          lastName,
          tags: tagList(tagLists, tags),
          connectionId: connection,
          externalId,
          deleted: deleted === 1,
          aliases: [],
          privileged: privileged === 1,
          hasPassword: hasPassword === 1,
        };
        index.put(user, connectionId);
        byId.set(id, user);
        if (pinHash !== null) index.pinHashes.add(pinHash);
      }
      for (const [userId, alias] of chunk.aliases) {
        index.aliasOwner.set(alias.toLowerCase(), userId);
        byId.get(userId)?.aliases.push(alias);
      }
      // The local driver runs queries synchronously: let requests in between chunks.
      await letRequestsIn();
    }
    return index;
  }

  put(user: KnownUser, connectionId: string): void {
    this.byEmail.set(user.email.toLowerCase(), user);
    if (user.connectionId === connectionId && user.externalId) {
      this.byExternalId.set(user.externalId, user);
    }
  }

  /** Moves a user's email key when its email changes. */
  changeEmail(user: KnownUser, email: string): void {
    if (this.byEmail.get(user.email.toLowerCase()) === user)
      this.byEmail.delete(user.email.toLowerCase());
    user.email = email;
    this.byEmail.set(email.toLowerCase(), user);
  }

  /** Active users linked to this connection. */
  activeOfConnection(connectionId: string): KnownUser[] {
    return [...this.byExternalId.values()].filter(
      (user) => !user.deleted && user.connectionId === connectionId,
    );
  }
}

/**
 * Users read per query. The local driver holds the event loop for each query; between them
 * the API answers. Measured at 100k users: loading in one go stalled it 0.5 s, in chunks of
 * 5,000 at most ~60 ms (garbage collection included), for ~10 % more load time.
 */
const LOAD_CHUNK_USERS = 5_000;

function tagList(lists: Map<string, readonly string[]>, json: string): readonly string[] {
  let list = lists.get(json);
  if (!list) {
    list = Object.freeze(JSON.parse(json) as string[]);
    lists.set(json, list);
  }
  return list;
}
