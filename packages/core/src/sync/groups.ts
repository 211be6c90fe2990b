import type { DirectoryGroup } from "@roster/connector-kit";
import { newId } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import { IN_IDS, idList, insertRows } from "./sql.ts";
import type { UserIndex } from "./user-index.ts";
import { type BatchWrite, onMainConnection } from "./writer.ts";

/**
 * Mirrors the selected directory groups as application groups: name and members (the
 * connection's active users among the group's transitive members). Groups no longer
 * selected are removed.
 */
export async function syncGroups(
  deps: CoreDeps,
  tenantId: string,
  connectionId: string,
  groups: DirectoryGroup[],
  index: UserIndex,
  write: BatchWrite = onMainConnection(deps),
): Promise<void> {
  const now = deps.clock.now().getTime();
  const existing = await deps.db.client.execute({
    sql: "select id, external_id from groups where connection_id = ? and tenant_id = ?",
    args: [connectionId, tenantId],
  });
  const idByExternal = new Map(
    existing.rows.map((row) => [String(row.external_id), String(row.id)]),
  );
  const statements = [];
  const memberRows: string[][] = [];
  for (const group of groups) {
    const id = idByExternal.get(group.externalId) ?? newId("grp");
    statements.push({
      sql: `insert into groups (id, tenant_id, connection_id, external_id, name, created_at, updated_at)
            values (?, ?, ?, ?, ?, ?, ?)
            on conflict (connection_id, external_id) do update set name = excluded.name, updated_at = excluded.updated_at`,
      args: [id, tenantId, connectionId, group.externalId, group.name, now, now],
    });
    statements.push({ sql: "delete from group_members where group_id = ?", args: [id] });
    for (const memberId of group.memberIds) {
      const user = index.byExternalId.get(memberId);
      if (user && !user.deleted) memberRows.push([id, user.id]);
    }
    idByExternal.delete(group.externalId);
  }
  const stale = [...idByExternal.values()];
  await write([
    ...statements,
    ...insertRows("group_members", ["group_id", "user_id"], memberRows, "on conflict do nothing"),
    { sql: `delete from groups where id in ${IN_IDS}`, args: [idList(stale)] },
  ]);
}
