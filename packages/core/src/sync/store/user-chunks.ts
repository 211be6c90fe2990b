import type { Client, InStatement, InValue } from "@libsql/client";
import { IN_IDS, idList } from "./sql.ts";

/** One application user as the index loads it. */
export type UserRow = [
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
  hasPassword: 0 | 1,
  privileged: 0 | 1,
];

export type UserChunk = { users: UserRow[]; aliases: Array<[userId: string, alias: string]> };

/**
 * Runs a query whose answer is one JSON value (`json_group_array`) and returns that text:
 * on the main connection, or off the main thread (`jsonQueryOf` / the writer's `read`).
 */
export type JsonQuery = (statement: InStatement) => Promise<string>;

export const jsonQueryOf =
  (client: Client): JsonQuery =>
  async (statement) =>
    String((await client.execute(statement)).rows[0]?.[0] ?? "[]");

/** The same on the writer thread: the query runs while the main thread goes on. */
export const jsonQueryOn =
  (writer: { read(statement: InStatement): Promise<Array<Record<string, unknown>>> }): JsonQuery =>
  async (statement) => {
    const [row] = await writer.read(statement);
    return String((row && Object.values(row)[0]) ?? "[]");
  };

/**
 * The user holds a role that grants any permission (a privileged account, spec §4.11): one
 * list of the tenant's few such users, looked up per user (bound to the tenant id, so it
 * is computed once; a per-user `exists` over roles cost ~10 ms per 25,000 users).
 */
const PRIVILEGED = `u.id in (select user_id from user_roles where role_id in
  (select id from roles where tenant_id = ? and permissions <> '[]'))`;

/**
 * The tenant's users in (created_at, id) order, `limit` at a time, each with its aliases.
 * Each query's result is one JSON value: the driver's row objects made loading 100k users
 * take ~1 s, JSON 0.5 s. Keyset paging on the row value seeks `users_tenant_created_idx`.
 */
export async function* userChunks(
  query: JsonQuery,
  tenantId: string,
  limit: number,
): AsyncGenerator<UserChunk> {
  let after: [number, string] | null = null;
  for (;;) {
    const chunk = await usersWhere(
      query,
      tenantId,
      `${after ? "and (created_at, id) > (?, ?)" : ""} order by created_at, id limit ?`,
      [...(after ?? []), limit],
    );
    if (chunk.users.length === 0) return;
    yield chunk;
    const { users } = chunk;
    if (users.length < limit) return;
    const last = users[users.length - 1] as UserRow;
    after = [last[9], last[0]];
  }
}

/** Users an administrator chose to leave alone for this connection (never taken over). */
export async function excludedUsers(
  client: Client,
  tenantId: string,
  connectionId: string,
): Promise<Set<string>> {
  const result = await client.execute({
    sql: "select user_id from sync_exclusions where tenant_id = ? and connection_id = ?",
    args: [tenantId, connectionId],
  });
  return new Set(result.rows.map((row) => String(row.user_id)));
}

/**
 * The tenant's users selected by `where` (after `tenant_id = ?`), with their aliases. With
 * `byTenant` false the tenant condition only filters (`+tenant_id`), for a `where` that
 * finds its users through other indexes.
 */
async function usersWhere(
  query: JsonQuery,
  tenantId: string,
  where: string,
  args: InValue[],
  byTenant = true,
): Promise<UserChunk> {
  const json = await query({
    sql: `select json_group_array(json_array(id, email, first_name, last_name, tags,
            connection_id, external_id, deleted_at is not null, pin_hash, created_at,
            password_hash is not null, ${PRIVILEGED})) as rows
          from (select * from users where ${byTenant ? "" : "+"}tenant_id = ? ${where}) u`,
    args: [tenantId, tenantId, ...args],
  });
  const users = JSON.parse(json) as UserRow[];
  if (users.length === 0) return { users, aliases: [] };
  // `+tenant_id`: by user, not by walking every alias of the tenant for each chunk.
  const aliases = await query({
    sql: `select json_group_array(json_array(user_id, alias)) as rows from user_aliases
          where +tenant_id = ? and user_id in ${IN_IDS}`,
    args: [tenantId, idList(users.map(([id]) => id))],
  });
  return { users, aliases: JSON.parse(aliases) };
}

/**
 * For a run that reads only changes: the users those changes can match — this connection's
 * users with these directory ids, and the tenant's users with these emails (lower-cased).
 */
export function usersMatching(
  client: Client,
  tenantId: string,
  connectionId: string,
  keys: { externalIds: readonly string[]; emails: readonly string[] },
): Promise<UserChunk> {
  // Each side of the `or` on an index of its own (SQLite's multi-index OR): walking the
  // tenant's users instead cost 0.5 s a page of changes at a million users, 10 ms this way.
  return usersWhere(
    jsonQueryOf(client),
    tenantId,
    `and ((connection_id = ? and external_id in ${IN_IDS})
          or (tenant_id = ? and lower(email) in ${IN_IDS}))`,
    [connectionId, idList(keys.externalIds), tenantId, idList(keys.emails)],
    false,
  );
}

/** Who holds these aliases (lower-cased), among the tenant's users. */
export async function aliasOwners(
  client: Client,
  tenantId: string,
  aliases: readonly string[],
): Promise<Array<[alias: string, userId: string]>> {
  if (aliases.length === 0) return [];
  const owners = await jsonQueryOf(client)({
    sql: `select json_group_array(json_array(lower(alias), user_id)) as rows from user_aliases
          where tenant_id = ? and lower(alias) in ${IN_IDS}`,
    args: [tenantId, idList(aliases)],
  });
  return JSON.parse(owners);
}

/** How many PINs the tenant holds (counted on its PIN index alone). */
export async function pinCountOf(client: Client, tenantId: string): Promise<number> {
  const result = await client.execute({
    sql: "select count(*) as n from users where tenant_id = ? and pin_hash is not null",
    args: [tenantId],
  });
  return Number(result.rows[0]?.n ?? 0);
}

/** Which of `hashes` the tenant's users hold already. */
export async function heldPinHashes(
  client: Client,
  tenantId: string,
  hashes: readonly string[],
): Promise<Set<string>> {
  const held = await jsonQueryOf(client)({
    sql: `select json_group_array(pin_hash) as rows from users
          where tenant_id = ? and pin_hash in ${IN_IDS}`,
    args: [tenantId, idList(hashes)],
  });
  return new Set(JSON.parse(held) as string[]);
}

/** Active users of a connection (the deletion limit is a share of them before the run). */
export async function activeUsersOf(
  client: Client,
  tenantId: string,
  connectionId: string,
): Promise<number> {
  const result = await client.execute({
    sql: `select count(*) as n from users
          where tenant_id = ? and connection_id = ? and deleted_at is null`,
    args: [tenantId, connectionId],
  });
  return Number(result.rows[0]?.n ?? 0);
}
