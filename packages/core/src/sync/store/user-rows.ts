import type { InStatement, InValue } from "@libsql/client";
import type { DirectorySignIn } from "@roster/connector-kit";
import {
  newId,
  outbox,
  outboxBodies,
  userAliases,
  userChanges,
  userRoles,
  users,
} from "@roster/db";
import { welcomeEmail } from "@roster/email";
import type { CoreDeps } from "../../context.ts";
import { sealBody } from "../../outbox/body.ts";
import type { Action } from "../../rules/plan.ts";
import type { KnownUser } from "../user-index.ts";
import {
  type ColumnKey,
  columnName,
  type Guard,
  IN_IDS,
  idList,
  insertRows,
  jsonRows,
} from "./sql.ts";

/** What a run's writes need to know about its tenant and connection. */
export type WriteTarget = {
  tenantId: string;
  tenantName: string;
  signIn: DirectorySignIn;
  /** Role given to users the sync creates (the tenant's built-in `User`). */
  userRoleId: string | null;
  sendPinEmails: boolean;
  /** The run the welcome emails belong to. */
  runId: string;
};

/** What a chunk of decisions writes, gathered a slice of users at a time. */
export type ChunkRows = {
  users: InValue[][];
  roles: InValue[][];
  updates: InValue[][];
  aliasResets: string[];
  aliases: InValue[][];
  outbox: InValue[][];
  /** Each outbox row's encrypted body (`outbox_bodies`). */
  outboxBodies: InValue[][];
  /** Restored users: their roles become `User` only (spec §4.11). */
  roleResets: string[];
  /** Users converted to directory sign-in or restored: their sessions end. */
  sessionEnds: string[];
  /** One row per changed user: the run that changed it (`user_changes`). */
  changes: InValue[][];
};

export const noRows = (): ChunkRows => ({
  users: [],
  roles: [],
  updates: [],
  aliasResets: [],
  aliases: [],
  outbox: [],
  outboxBodies: [],
  roleResets: [],
  sessionEnds: [],
  changes: [],
});

const CREATED: ColumnKey<typeof users>[] = [
  "id",
  "tenantId",
  "email",
  "firstName",
  "lastName",
  "tags",
  "signIn",
  "pinHash",
  "connectionId",
  "externalId",
  "createdAt",
  "updatedAt",
];

/** Columns an update or a restore sets, after the user id; then the new PIN hash (or null). */
const UPDATED: ColumnKey<typeof users>[] = [
  "email",
  "firstName",
  "lastName",
  "tags",
  "signIn",
  "connectionId",
  "externalId",
  "updatedAt",
];

export const CHANGE: ColumnKey<typeof userChanges>[] = [
  "tenantId",
  "userId",
  "runId",
  "kind",
  "at",
];

const OUTBOX: ColumnKey<typeof outbox>[] = [
  "id",
  "tenantId",
  "runId",
  "to",
  "subject",
  "kind",
  "status",
  "attempts",
  "createdAt",
];

/** Adds the rows of `actions` to `rows`. */
export function gatherRows(
  deps: CoreDeps,
  target: WriteTarget,
  actions: readonly Action[],
  now: number,
  rows: ChunkRows,
): void {
  const { tenantId } = target;
  const queueWelcome = (user: KnownUser, pin: string, restored: boolean) => {
    if (!target.sendPinEmails) return;
    const message = welcomeEmail({
      to: user.email,
      firstName: user.firstName,
      appName: deps.appName ?? "Roster",
      tenantName: target.tenantName,
      pin,
      restored,
    });
    // The body holds the PIN: it is stored encrypted, never in clear.
    const body = sealBody(deps.keyring, message);
    const id = newId("eml");
    rows.outbox.push([
      id,
      tenantId,
      target.runId,
      message.to,
      message.subject,
      "welcome",
      "pending",
      0,
      now,
    ]);
    rows.outboxBodies.push([id, body]);
  };
  const aliasesOf = (user: KnownUser) => {
    for (const alias of user.aliases) rows.aliases.push([tenantId, user.id, alias]);
  };

  for (const action of actions) {
    if (action.kind === "create") {
      const { user, pin } = action;
      rows.users.push([
        user.id,
        tenantId,
        user.email,
        user.firstName,
        user.lastName,
        JSON.stringify(user.tags),
        target.signIn,
        pin.hash,
        user.connectionId,
        user.externalId,
        now,
        now,
      ]);
      if (target.userRoleId) rows.roles.push([user.id, target.userRoleId]);
      rows.changes.push([tenantId, user.id, target.runId, "created", now]);
      aliasesOf(user);
      queueWelcome(user, pin.pin, false);
    } else if (action.kind === "restore" || action.kind === "update") {
      const { user } = action;
      rows.updates.push([
        user.id,
        user.email,
        user.firstName,
        user.lastName,
        JSON.stringify(user.tags),
        target.signIn,
        user.connectionId,
        user.externalId,
        now,
        action.kind === "restore" ? action.pin.hash : null,
      ]);
      const kind = action.kind === "restore" ? "restored" : "updated";
      rows.changes.push([tenantId, user.id, target.runId, kind, now]);
      if (action.kind === "restore" || action.aliasesChanged) {
        rows.aliasResets.push(user.id);
        aliasesOf(user);
      }
      if (action.kind === "restore") {
        rows.roleResets.push(user.id);
        if (target.userRoleId) rows.roles.push([user.id, target.userRoleId]);
        queueWelcome(user, action.pin.pin, true);
      }
      if (action.kind === "restore" || action.converted) rows.sessionEnds.push(user.id);
    }
  }
}

/**
 * The statements of a chunk, each kind once for the whole chunk (so every released alias is
 * deleted before any alias is inserted), each scoped to the tenant and guarded by the lease.
 */
export function chunkStatements(tenantId: string, rows: ChunkRows, guard: Guard): InStatement[] {
  // `+tenant_id`: rows are found by id, not by walking the tenant (see updateUsers).
  const ofTenant = `select id from users where +tenant_id = ? and id in ${IN_IDS}`;
  return [
    ...insertRows(users, CREATED, rows.users, { guard }),
    ...(rows.roleResets.length > 0
      ? [
          {
            sql: `delete from user_roles where user_id in (${ofTenant}) and ${guard.sql}`,
            args: [tenantId, idList(rows.roleResets), ...guard.args],
          },
        ]
      : []),
    ...insertRows(userRoles, ["userId", "roleId"], rows.roles, {
      guard,
      onConflict: "on conflict do nothing",
    }),
    ...updateUsers(tenantId, rows.updates, guard),
    ...(rows.aliasResets.length > 0
      ? [
          {
            sql: `delete from user_aliases where +tenant_id = ? and user_id in ${IN_IDS} and ${guard.sql}`,
            args: [tenantId, idList(rows.aliasResets), ...guard.args],
          },
        ]
      : []),
    ...insertRows(userAliases, ["tenantId", "userId", "alias"], rows.aliases, { guard }),
    ...insertRows(outbox, OUTBOX, rows.outbox, { guard }),
    ...insertRows(outboxBodies, ["outboxId", "ciphertext"], rows.outboxBodies, { guard }),
    ...(rows.sessionEnds.length > 0
      ? [
          {
            sql: `delete from sessions where tenant_id = ? and user_id in ${IN_IDS} and ${guard.sql}`,
            args: [tenantId, idList(rows.sessionEnds), ...guard.args],
          },
        ]
      : []),
    ...insertRows(userChanges, CHANGE, rows.changes, { guard }),
  ];
}

/**
 * Every update and restore of a chunk as one `update … from json_each`: a synced user comes
 * back to directory sign-in, a restored one with its new PIN hash. `+users.tenant_id` keeps
 * SQLite (no statistics: it takes `tenant_id = ?` for selective) from walking every user of
 * the tenant with the JSON rows scanned for each: 100 updates at 10k users took 1 s, by id 2 ms.
 */
function updateUsers(tenantId: string, rows: InValue[][], guard: Guard): InStatement[] {
  if (rows.length === 0) return [];
  const set = UPDATED.map(
    (key, position) => `${columnName(users, key)} = u.value ->> ${position + 1}`,
  );
  return [
    {
      sql: `update users set ${set.join(", ")}, password_hash = null,
              pin_hash = coalesce(u.value ->> ${UPDATED.length + 1}, users.pin_hash), deleted_at = null
            from json_each(?) as u
            where users.id = u.value ->> 0 and +users.tenant_id = ? and ${guard.sql}`,
      args: [jsonRows(rows), tenantId, ...guard.args],
    },
  ];
}
