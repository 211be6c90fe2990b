import type { Client } from "@libsql/client";
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

/** The user holds a role that grants any permission (a privileged account, spec §4.11). */
const PRIVILEGED = `exists (select 1 from user_roles ur join roles r on r.id = ur.role_id
  where ur.user_id = u.id and r.permissions <> '[]')`;

/**
 * The tenant's users in (created_at, id) order, `limit` at a time, each with its aliases.
 * Each query's result is one JSON value: the driver's row objects made loading 100k users
 * take ~1 s, JSON 0.5 s. Keyset paging on the row value seeks `users_tenant_created_idx`.
 */
export async function* userChunks(
  client: Client,
  tenantId: string,
  limit: number,
): AsyncGenerator<UserChunk> {
  let after: [number, string] | null = null;
  for (;;) {
    const result = await client.execute({
      sql: `select json_group_array(json_array(id, email, first_name, last_name, tags,
              connection_id, external_id, deleted_at is not null, pin_hash, created_at,
              password_hash is not null, ${PRIVILEGED})) as rows
            from (select * from users where tenant_id = ?
                  ${after ? "and (created_at, id) > (?, ?)" : ""}
                  order by created_at, id limit ?) u`,
      args: [tenantId, ...(after ?? []), limit],
    });
    const users = JSON.parse(String(result.rows[0]?.rows ?? "[]")) as UserRow[];
    if (users.length === 0) return;
    const aliases = await client.execute({
      sql: `select json_group_array(json_array(user_id, alias)) as rows from user_aliases
            where tenant_id = ? and user_id in ${IN_IDS}`,
      args: [tenantId, idList(users.map(([id]) => id))],
    });
    yield { users, aliases: JSON.parse(String(aliases.rows[0]?.rows ?? "[]")) };
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
