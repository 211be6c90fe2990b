import type { InStatement, InValue } from "@libsql/client";
import type { DirectoryGroup } from "@roster/connector-kit";
import {
  groups,
  newId,
  type RunIssueKind,
  syncRunIssues,
  userChanges,
  WriterStoppedError,
} from "@roster/db";
import type { CoreDeps } from "../../context.ts";
import type { Issue } from "../../rules/issue.ts";
import type { Action } from "../../rules/plan.ts";
import { letRequestsIn } from "../event-loop.ts";
import type { KnownUser } from "../user-index.ts";
import { LeaseLostError, leaseExpiry, leaseHeld, type RunLease, renewal } from "./lease.ts";
import { remoteBatches } from "./remote-batches.ts";
import { IN_IDS, idList, insertRows, jsonRows } from "./sql.ts";
import { isStorageFailure, StorageError } from "./storage-failure.ts";
import { CHANGE, chunkStatements, gatherRows, noRows, type WriteTarget } from "./user-rows.ts";

export { WriterStoppedError } from "@roster/db";
export * from "./lease.ts";
export * from "./run-outcome.ts";
export * from "./storage-failure.ts";
export type { WriteTarget } from "./user-rows.ts";

/** A failure of the run's writing itself, which no retry of a single user could mend. */
export const isWriteFailure = (error: unknown) =>
  error instanceof StorageError ||
  error instanceof LeaseLostError ||
  error instanceof WriterStoppedError ||
  isStorageFailure(error);

/** A user whose write the database refused, with the failure recorded for it. */
export type WriteFailure = { action: Action; issue: Issue };

/** Decisions handed to the writer together. */
export type DecidedChunk = {
  actions: Action[];
  failures: Issue[];
  warnings: Issue[];
  /** Users held for an administrator's confirmation. */
  reviews: Issue[];
};

/**
 * Every statement a run writes, in one place: users, aliases, roles and welcome emails in
 * bulk, issues, deletions, groups. Each batch is one transaction that first renews the lease
 * and writes only while the run still holds it (LeaseLostError otherwise), and each
 * statement is scoped to the tenant.
 */
export type RunStore = ReturnType<typeof openRunStore>;

export function openRunStore(deps: CoreDeps, target: WriteTarget, lease: RunLease) {
  const { tenantId } = target;
  const guard = leaseHeld(lease);
  const batches = remoteBatches();
  // On a local file the batches run on the writer thread (libSQL's local driver is
  // synchronous): one chunk is written while the next is read and decided, and the API
  // keeps answering. A server URL has no thread to gain: the main connection writes.
  const writer = deps.db.openPageWriter?.();
  const batch = writer
    ? (statements: InStatement[]) => writer.batch(statements)
    : async (statements: InStatement[]) =>
        (await deps.db.client.batch(statements, "write")).map((result) => result.rowsAffected);

  /** One transaction; throws LeaseLostError (having written nothing) if the lease is gone. */
  const write = async (statements: InStatement[]) => {
    const [held] = await batch([renewal(lease, leaseExpiry(deps)), ...statements]);
    if (held !== 1) throw new LeaseLostError();
  };

  /**
   * Writes a chunk of decisions in one transaction. If the database refuses it, the chunk
   * is halved until the refused users stand alone, so one bad row fails that user only
   * (spec §4.8) for a few more transactions, not one per user of a 50,000-user chunk.
   */
  const writeDecisions = async (chunk: DecidedChunk): Promise<WriteFailure[]> => {
    const now = deps.clock.now().getTime();
    const refused: WriteFailure[] = [];
    let narrowing = false;
    // The chunk's issues ride in its first batch (one round trip fewer each, which counts on
    // a server URL); if that batch is refused they are written on their own after narrowing.
    let issuesWritten = false;
    const attempt = async (actions: Action[], withIssues = false): Promise<void> => {
      const statements = await statementsOf(actions, now);
      if (statements.length === 0) return;
      if (withIssues) {
        statements.push(
          ...issueStatements("failure", chunk.failures),
          ...issueStatements("warning", chunk.warnings),
          ...issueStatements("review", chunk.reviews),
        );
      }
      try {
        await write(statements);
        if (withIssues) issuesWritten = true;
      } catch (error) {
        if (error instanceof LeaseLostError || error instanceof WriterStoppedError) throw error;
        // A full disk or a read-only file fails every user alike: stop the run, do not retry.
        if (isStorageFailure(error)) throw new StorageError(error);
        if (actions.length === 1) {
          refused.push({ action: actions[0] as Action, issue: writeFailure(actions[0], error) });
          return;
        }
        if (!narrowing) {
          narrowing = true;
          deps.log.warn("a write was refused; narrowing it down to the users at fault", {
            runId: lease.runId,
            error: String(error),
          });
        }
        const middle = Math.ceil(actions.length / 2);
        await attempt(actions.slice(0, middle));
        await attempt(actions.slice(middle));
      }
    };
    if (writer) await attempt(chunk.actions, true);
    else {
      // On a server URL, in transactions sized to stay within sqld's limit (remote-batches.ts),
      // a user's rows always in one.
      for (let from = 0; from < Math.max(chunk.actions.length, 1); ) {
        const size = batches.size;
        const started = performance.now();
        const part = chunk.actions.slice(from, from + size);
        await attempt(part, from === 0);
        batches.took(part.length, performance.now() - started);
        from += size;
      }
    }
    const refusedIssues = refused.map((failure) => failure.issue);
    await writeIssues(
      "failure",
      issuesWritten ? refusedIssues : [...chunk.failures, ...refusedIssues],
    );
    if (!issuesWritten) {
      await writeIssues("warning", chunk.warnings);
      await writeIssues("review", chunk.reviews);
    }
    if (chunk.actions.length > 0) deps.emailDispatcher?.wake();
    return refused;
  };

  /**
   * The per-user work (rows, welcome emails) runs a slice at a time with the event loop free
   * in between: a 30,000-user chunk built in one go held it ~60 ms.
   */
  const statementsOf = async (actions: Action[], now: number) => {
    // sqld refuses a bound value over 5 MB ("string or blob too big"): on a server URL each
    // table's JSON covers at most REMOTE_STATEMENT_USERS users, all in the chunk's one batch.
    const perStatement = writer ? Math.max(actions.length, 1) : REMOTE_STATEMENT_USERS;
    const statements: InStatement[] = [];
    for (let from = 0; from < actions.length; from += perStatement) {
      const part = actions.slice(from, from + perStatement);
      const rows = noRows();
      for (let start = 0; start < part.length; start += SLICE_USERS) {
        if (from + start > 0) await letRequestsIn();
        gatherRows(deps, target, part.slice(start, start + SLICE_USERS), now, rows);
      }
      statements.push(...chunkStatements(tenantId, rows, guard));
    }
    return statements;
  };

  const issueStatements = (kind: RunIssueKind, issues: Issue[]): InStatement[] => {
    if (issues.length === 0) return [];
    // Under sqld's 5 MB per bound value too (an issue row: at most ~2 KB of capped text).
    const per = writer ? issues.length : REMOTE_STATEMENT_USERS * 2;
    if (issues.length > per) {
      const parts: InStatement[] = [];
      for (let from = 0; from < issues.length; from += per) {
        parts.push(...issueStatements(kind, issues.slice(from, from + per)));
      }
      return parts;
    }
    const rows = issues.map((issue): InValue[] => [
      newId("iss"),
      lease.runId,
      kind,
      issue.externalId,
      issue.userId ?? null,
      issue.email,
      issue.displayName,
      issue.code,
      issue.message,
    ]);
    return insertRows(
      syncRunIssues,
      ["id", "runId", "kind", "externalId", "userId", "email", "displayName", "code", "message"],
      rows,
      { guard },
    );
  };

  const writeIssues = async (kind: RunIssueKind, issues: Issue[]) => {
    if (issues.length > 0) await write(issueStatements(kind, issues));
  };

  /** Soft-deletes users and ends their sessions, in one transaction; `kept` are warnings. */
  const deleteUsers = async (toDelete: readonly KnownUser[], kept: Issue[]) => {
    const now = deps.clock.now().getTime();
    const ids = idList(toDelete.map((user) => user.id));
    if (toDelete.length > 0) {
      // `+tenant_id`: by id, not by walking the tenant's users (user-rows.ts, updateUsers).
      await write([
        {
          sql: `update users set deleted_at = ?, updated_at = ? where +tenant_id = ? and deleted_at is null
                and id in ${IN_IDS} and ${guard.sql}`,
          args: [now, now, tenantId, ids, ...guard.args],
        },
        {
          sql: `delete from sessions where tenant_id = ? and user_id in ${IN_IDS} and ${guard.sql}`,
          args: [tenantId, ids, ...guard.args],
        },
        ...insertRows(
          userChanges,
          CHANGE,
          toDelete.map((user) => [tenantId, user.id, lease.runId, "deleted", now]),
          { guard },
        ),
      ]);
    }
    await writeIssues("warning", kept);
  };

  /**
   * Mirrors the selected directory groups as application groups: name and members (the
   * connection's active users among each group's transitive members, found by directory id
   * in SQL, so a run that read only changes needs no index of every user). Groups no longer
   * selected are removed.
   */
  const syncGroups = async (connectionId: string, directoryGroups: readonly DirectoryGroup[]) => {
    const now = deps.clock.now().getTime();
    const existing = await deps.db.client.execute({
      sql: "select id, external_id from groups where tenant_id = ? and connection_id = ?",
      args: [tenantId, connectionId],
    });
    const idByExternal = new Map(
      existing.rows.map((row) => [String(row.external_id), String(row.id)]),
    );
    const groupRows: InValue[][] = [];
    const memberRows: InValue[][] = [];
    for (const group of directoryGroups) {
      const id = idByExternal.get(group.externalId) ?? newId("grp");
      idByExternal.delete(group.externalId);
      groupRows.push([id, tenantId, connectionId, group.externalId, group.name, now, now]);
      for (const memberId of group.memberIds) memberRows.push([id, memberId]);
    }
    const ofConnection = "select id from groups where tenant_id = ? and connection_id = ?";
    await write([
      ...insertRows(
        groups,
        ["id", "tenantId", "connectionId", "externalId", "name", "createdAt", "updatedAt"],
        groupRows,
        {
          guard,
          onConflict: `on conflict (connection_id, external_id) do update set name = excluded.name,
                       updated_at = excluded.updated_at where groups.tenant_id = excluded.tenant_id`,
        },
      ),
      {
        sql: `delete from group_members where group_id in (${ofConnection}) and ${guard.sql}`,
        args: [tenantId, connectionId, ...guard.args],
      },
      {
        sql: `insert into group_members (group_id, user_id)
              select m.value ->> 0, u.id from json_each(?) m
              join users u on u.tenant_id = ? and u.connection_id = ?
                and u.external_id = m.value ->> 1 and u.deleted_at is null
              where ${guard.sql} on conflict do nothing`,
        args: [jsonRows(memberRows), tenantId, connectionId, ...guard.args],
      },
      {
        sql: `delete from groups where tenant_id = ? and id in ${IN_IDS} and ${guard.sql}`,
        args: [tenantId, idList([...idByExternal.values()]), ...guard.args],
      },
    ]);
  };

  /** Forgets the run's issues so far (a second, full pass records them anew). */
  const clearIssues = () =>
    write([
      {
        sql: `delete from sync_run_issues where run_id = ? and ${guard.sql}`,
        args: [lease.runId, ...guard.args],
      },
    ]);

  /** The users a needs_review run held back, kept so the administrator sees who before confirming. */
  const recordPendingDeletions = (users: readonly KnownUser[]) =>
    writeIssues("pending_deletion", users.map(pendingDeletion));

  return { writeDecisions, deleteUsers, syncGroups, clearIssues, recordPendingDeletions };
}

/** Users whose rows are gathered between two chances for the API to answer. */
const SLICE_USERS = 5_000;
/** Users per statement on a server URL: each JSON argument well under sqld's 5 MB. */
const REMOTE_STATEMENT_USERS = 1_000;

const pendingDeletion = (user: KnownUser): Issue => ({
  externalId: user.externalId,
  email: user.email,
  displayName: `${user.firstName} ${user.lastName}`,
  code: "not_in_directory",
  message: "The directory no longer returns this user.",
});

function writeFailure(action: Action | undefined, error: unknown): Issue {
  const user = action && "user" in action ? action.user : null;
  return {
    externalId: user?.externalId ?? null,
    email: user?.email ?? null,
    displayName: user ? `${user.firstName} ${user.lastName}` : null,
    code: "database_error",
    message: `The user could not be saved: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
  };
}
