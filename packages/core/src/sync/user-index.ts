import type { Client } from "@libsql/client";
import { letRequestsIn } from "./event-loop.ts";
import { IN_IDS, idList } from "./sql.ts";

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
    let after: [number, string] | null = null;
    // Most users share one tags value: one frozen array for each value, not one per user.
    const tagLists = new Map<string, readonly string[]>();
    for (;;) {
      const chunk = await loadChunk(client, tenantId, after, chunkUsers);
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
        createdAt,
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
        };
        index.put(user, connectionId);
        byId.set(id, user);
        if (pinHash !== null) index.pinHashes.add(pinHash);
        after = [createdAt, id];
      }
      for (const [userId, alias] of chunk.aliases) {
        index.aliasOwner.set(alias.toLowerCase(), userId);
        byId.get(userId)?.aliases.push(alias);
      }
      if (chunk.users.length < chunkUsers) return index;
      // The local driver runs queries synchronously: let requests in between chunks.
      await letRequestsIn();
    }
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

type UserRow = [
  id: string,
  email: string,
  firstName: string,
  lastName: string,
  tags: string,
  connectionId: string | null,
  externalId: string | null,
  deleted: 0 | 1,
  pinHash: string | null,
  createdAt: number,
];

/**
 * The next users of the tenant in (created_at, id) order, with their aliases. Each result
 * is one JSON value: the driver's row objects made loading 100k users take ~1 s, JSON 0.5 s.
 */
async function loadChunk(
  client: Client,
  tenantId: string,
  after: [number, string] | null,
  limit: number,
) {
  const users = await client.execute({
    sql: `select json_group_array(json_array(id, email, first_name, last_name, tags,
            connection_id, external_id, deleted_at is not null, pin_hash, created_at)) as rows
          from (select * from users where tenant_id = ?
                ${after ? "and (created_at, id) > (?, ?)" : ""}
                order by created_at, id limit ?)`,
    args: [tenantId, ...(after ?? []), limit],
  });
  const rows = JSON.parse(String(users.rows[0]?.rows ?? "[]")) as UserRow[];
  if (rows.length === 0) return { users: rows, aliases: [] };
  const aliases = await client.execute({
    sql: `select json_group_array(json_array(user_id, alias)) as rows from user_aliases
          where user_id in ${IN_IDS}`,
    args: [idList(rows.map(([id]) => id))],
  });
  return {
    users: rows,
    aliases: JSON.parse(String(aliases.rows[0]?.rows ?? "[]")) as Array<[string, string]>,
  };
}

function tagList(lists: Map<string, readonly string[]>, json: string): readonly string[] {
  let list = lists.get(json);
  if (!list) {
    list = Object.freeze(JSON.parse(json) as string[]);
    lists.set(json, list);
  }
  return list;
}
