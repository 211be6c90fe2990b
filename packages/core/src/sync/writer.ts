import type { InStatement, InValue } from "@libsql/client";
import type { DirectorySignIn } from "@roster/connector-kit";
import { newId } from "@roster/db";
import { welcomeEmail } from "@roster/email";
import type { CoreDeps } from "../context.ts";
import { letRequestsIn } from "./event-loop.ts";
import type { Action, Issue } from "./plan.ts";
import { IN_IDS, idList, insertRows } from "./sql.ts";
import type { KnownUser } from "./user-index.ts";

export type WriteTarget = {
  tenantId: string;
  tenantName: string;
  runId: string;
  signIn: DirectorySignIn;
  /** Role given to users the sync creates (the tenant's built-in `User`). */
  userRoleId: string | null;
  sendPinEmails: boolean;
};

/** Runs one transaction of statements: the main connection, or a page writer's thread. */
export type BatchWrite = (statements: InStatement[]) => Promise<unknown>;

/** One transaction on the main connection: where a database without a writer thread writes. */
export const onMainConnection =
  (deps: CoreDeps): BatchWrite =>
  (statements) =>
    deps.db.client.batch(statements, "write");

/** A welcome email written to the outbox in the same transaction as its user. */
export type QueuedEmail = {
  outboxId: string;
  user: KnownUser;
  to: string;
  subject: string;
  text: string;
  html: string;
};

/**
 * Writes a chunk of decisions: all its statements in one libSQL batch (one transaction, one
 * round trip). If the database refuses the batch, the chunk is halved until the refused
 * users stand alone, so one bad row fails that user only (spec §4.8) for a few more
 * transactions, not one per user of a 50,000-user chunk.
 */
export async function writeActions(
  deps: CoreDeps,
  target: WriteTarget,
  actions: Action[],
  write: BatchWrite = onMainConnection(deps),
): Promise<{ emails: QueuedEmail[]; failures: Issue[] }> {
  const now = deps.clock.now().getTime();
  const emails: QueuedEmail[] = [];
  const failures: Issue[] = [];
  let narrowing = false;
  const attempt = async (subset: Action[]): Promise<void> => {
    const queued: QueuedEmail[] = [];
    const statements = await buildStatements(deps, target, subset, now, queued);
    if (statements.length === 0) return;
    try {
      await write(statements);
      emails.push(...queued);
    } catch (error) {
      // A full disk or a read-only file fails every user alike: stop the run, do not retry.
      if (isStorageFailure(error)) throw new StorageError(error);
      if (subset.length === 1) {
        failures.push(writeFailure(subset[0] as Action, error));
        return;
      }
      if (!narrowing) {
        narrowing = true;
        deps.log.warn("a write was refused; narrowing it down to the users at fault", {
          runId: target.runId,
          error: String(error),
        });
      }
      const middle = Math.ceil(subset.length / 2);
      await attempt(subset.slice(0, middle));
      await attempt(subset.slice(middle));
    }
  };
  await attempt(actions);
  return { emails, failures };
}

function writeFailure(action: Action, error: unknown): Issue {
  const user = "user" in action ? action.user : null;
  return {
    externalId: user?.externalId ?? null,
    email: user?.email ?? null,
    displayName: user ? `${user.firstName} ${user.lastName}` : null,
    code: "database_error",
    message: `The user could not be saved: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
  };
}

const STORAGE_FAILURE =
  /SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB)|disk is full|readonly database/i;

export const isStorageFailure = (error: unknown) =>
  STORAGE_FAILURE.test(
    error instanceof Error
      ? `${error.message} ${String((error as { code?: unknown }).code ?? "")}`
      : String(error),
  );

/** The database refused writes: the run ends failed with this reason. */
export class StorageError extends Error {
  constructor(cause: unknown) {
    super(
      `The database refused writes (${cause instanceof Error ? cause.message.split("\n")[0] : String(cause)}). Nothing more was written; free disk space or fix the file's permissions, then run again.`,
    );
    this.name = "StorageError";
  }
}

/** What a chunk writes, gathered a slice of users at a time. */
type ChunkRows = {
  users: InValue[][];
  roles: InValue[][];
  aliases: InValue[][];
  outbox: InValue[][];
  updates: InStatement[];
  aliasResets: string[];
};

const noRows = (): ChunkRows => ({
  users: [],
  roles: [],
  aliases: [],
  outbox: [],
  updates: [],
  aliasResets: [],
});

/** Users whose rows are gathered between two chances for the API to answer. */
const SLICE_USERS = 5_000;

/**
 * The statements of a chunk. The per-user work (rows, PIN hashes, welcome emails) runs a
 * slice at a time with the event loop free in between: a 30,000-user chunk built in one go
 * held it ~60 ms. Each kind of statement then runs once for the whole chunk, so every
 * released alias is deleted before any alias is inserted.
 */
async function buildStatements(
  deps: CoreDeps,
  target: WriteTarget,
  actions: Action[],
  now: number,
  emails: QueuedEmail[],
): Promise<InStatement[]> {
  const rows = noRows();
  for (let start = 0; start < actions.length; start += SLICE_USERS) {
    if (start > 0) await letRequestsIn();
    gatherRows(deps, target, actions.slice(start, start + SLICE_USERS), now, emails, rows);
  }
  return chunkStatements(target.tenantId, rows);
}

function gatherRows(
  deps: CoreDeps,
  target: WriteTarget,
  actions: Action[],
  now: number,
  emails: QueuedEmail[],
  rows: ChunkRows,
): void {
  const { tenantId } = target;
  const {
    users: userRows,
    roles: roleRows,
    aliases: aliasRows,
    outbox: outboxRows,
    updates,
    aliasResets,
  } = rows;

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
    const outboxId = newId("eml");
    // The body holds the PIN: it is stored encrypted, never in clear.
    const body = deps.keyring.encrypt(JSON.stringify({ text: message.text, html: message.html }));
    outboxRows.push([
      outboxId,
      tenantId,
      target.runId,
      message.to,
      message.subject,
      "welcome",
      body,
      "pending",
      0,
      now,
    ]);
    emails.push({ outboxId, user, ...message });
  };

  for (const action of actions) {
    if (action.kind === "create") {
      const { user, pin } = action;
      userRows.push([
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
      if (target.userRoleId) roleRows.push([user.id, target.userRoleId]);
      for (const alias of user.aliases) aliasRows.push([tenantId, user.id, alias]);
      queueWelcome(user, pin.pin, false);
    } else if (action.kind === "restore" || action.kind === "update") {
      const { user } = action;
      const pinHash = action.kind === "restore" ? action.pin.hash : null;
      updates.push({
        sql: `update users set email = ?, first_name = ?, last_name = ?, tags = ?, sign_in = ?,
              connection_id = ?, external_id = ?, updated_at = ?, password_hash = null,
              pin_hash = coalesce(?, pin_hash), deleted_at = null
              where id = ? and tenant_id = ?`,
        args: [
          user.email,
          user.firstName,
          user.lastName,
          JSON.stringify(user.tags),
          target.signIn,
          user.connectionId,
          user.externalId,
          now,
          pinHash,
          user.id,
          tenantId,
        ],
      });
      if (action.kind === "restore" || action.aliasesChanged) {
        aliasResets.push(user.id);
        for (const alias of user.aliases) aliasRows.push([tenantId, user.id, alias]);
      }
      if (action.kind === "restore") queueWelcome(user, action.pin.pin, true);
    }
  }
}

function chunkStatements(tenantId: string, rows: ChunkRows): InStatement[] {
  return [
    ...insertRows(
      "users",
      [
        "id",
        "tenant_id",
        "email",
        "first_name",
        "last_name",
        "tags",
        "sign_in",
        "pin_hash",
        "connection_id",
        "external_id",
        "created_at",
        "updated_at",
      ],
      rows.users,
    ),
    ...insertRows("user_roles", ["user_id", "role_id"], rows.roles, "on conflict do nothing"),
    ...rows.updates,
    ...(rows.aliasResets.length > 0
      ? [
          {
            sql: `delete from user_aliases where tenant_id = ? and user_id in ${IN_IDS}`,
            args: [tenantId, idList(rows.aliasResets)],
          },
        ]
      : []),
    ...insertRows("user_aliases", ["tenant_id", "user_id", "alias"], rows.aliases),
    ...insertRows(
      "outbox",
      [
        "id",
        "tenant_id",
        "run_id",
        "to",
        "subject",
        "kind",
        "body_ciphertext",
        "status",
        "attempts",
        "created_at",
      ],
      rows.outbox,
    ),
  ];
}

/** Soft-deletes users and ends their sessions, in one transaction. */
export async function deleteUsers(
  deps: CoreDeps,
  tenantId: string,
  ids: string[],
  write: BatchWrite = onMainConnection(deps),
): Promise<void> {
  if (ids.length === 0) return;
  const now = deps.clock.now().getTime();
  await write([
    {
      sql: `update users set deleted_at = ?, updated_at = ? where tenant_id = ? and deleted_at is null and id in ${IN_IDS}`,
      args: [now, now, tenantId, idList(ids)],
    },
    { sql: `delete from sessions where user_id in ${IN_IDS}`, args: [idList(ids)] },
  ]);
}

/** Records failures and warnings of a run. */
export async function writeIssues(
  deps: CoreDeps,
  runId: string,
  kind: "failure" | "warning",
  issues: Issue[],
) {
  if (issues.length === 0) return;
  const rows = issues.map((issue) => [
    newId("iss"),
    runId,
    kind,
    issue.externalId,
    issue.email,
    issue.displayName,
    issue.code,
    issue.message,
  ]);
  await deps.db.client.batch(
    insertRows(
      "sync_run_issues",
      ["id", "run_id", "kind", "external_id", "email", "display_name", "code", "message"],
      rows,
    ),
    "write",
  );
}
