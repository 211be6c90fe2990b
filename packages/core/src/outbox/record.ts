import type { InStatement } from "@libsql/client";
import { newId } from "@roster/db";
import { IN_IDS, idList } from "../sync/store/sql.ts";
import type { ClaimedEmail } from "./claim.ts";

const ERROR_LENGTH = 500;
/**
 * `+` keeps SQLite from choosing the status index for this term (https://sqlite.org/optoverview.html,
 * "Disqualifying WHERE clause terms using unary-+"): rows are found by id, and a walk of every
 * pending row's index entry made each settlement cost as much as the queue is long.
 */
const STILL_PENDING = "+outbox.status = 'pending'";
const clip = (error: string) => error.slice(0, ERROR_LENGTH);

/**
 * Sent: the provider's id and time kept, the body (it may hold a PIN) deleted, whatever the
 * row's state: the email went out. Recorded
 * whoever holds the lease now: a process that took the rows over sends them under the same
 * key, and Resend answers it with these same ids.
 */
export function sentStatements(
  rows: ReadonlyArray<{ id: string; providerId: string | null }>,
  now: number,
): InStatement[] {
  if (rows.length === 0) return [];
  const sent = JSON.stringify(rows.map((row) => [row.id, row.providerId]));
  return [
    {
      sql: `update outbox set status = 'sent', sent_at = ?,
              provider_id = sent.value ->> 1, attempts = attempts + 1, last_error = null,
              lease_owner = null, lease_expires_at = null, next_attempt_at = null
            from json_each(?) as sent
            where outbox.id = sent.value ->> 0 and ${STILL_PENDING}`,
      args: [now, sent],
    },
    {
      sql: "delete from outbox_bodies where outbox_id in (select value ->> 0 from json_each(?))",
      args: [sent],
    },
  ];
}

/**
 * Failed for good: the row keeps its error; a welcome email that failed is a warning on its
 * run (`pin_email_failed`), in the same transaction.
 */
export function failedStatements(
  rows: ReadonlyArray<{ row: ClaimedEmail; error: string }>,
): InStatement[] {
  if (rows.length === 0) return [];
  const statements: InStatement[] = rows.map(({ row, error }) => ({
    sql: `update outbox set status = 'failed', last_error = ?, attempts = attempts + 1,
            lease_owner = null, lease_expires_at = null, next_attempt_at = null
          where id = ? and ${STILL_PENDING}`,
    args: [clip(error), row.id],
  }));
  for (const { row, error } of rows) {
    if (row.kind !== "welcome" || row.runId === null) continue;
    statements.push({
      sql: `insert into sync_run_issues (id, run_id, kind, email, code, message)
            select ?, ?, 'warning', ?, 'pin_email_failed', ? where exists (select 1 from sync_runs where id = ?)`,
      args: [
        newId("iss"),
        row.runId,
        row.to,
        clip(`The welcome email with the PIN could not be sent: ${error}`),
        row.runId,
      ],
    });
  }
  return statements;
}

/** Tried again at `retryAt`, the attempt counted; the key stays, so a retry never doubles. */
export function retryStatements(
  rows: readonly ClaimedEmail[],
  error: string,
  retryAt: number,
): InStatement[] {
  if (rows.length === 0) return [];
  return [
    {
      sql: `update outbox set attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
              lease_owner = null, lease_expires_at = null
            where id in ${IN_IDS} and ${STILL_PENDING}`,
      args: [clip(error), retryAt, idList(rows.map((row) => row.id))],
    },
  ];
}

/** Back to the queue untouched (the provider asked us to wait): no attempt spent. */
export function releaseStatements(rows: readonly ClaimedEmail[], owner: string): InStatement[] {
  if (rows.length === 0) return [];
  return [
    {
      sql: `update outbox set lease_owner = null, lease_expires_at = null
            where lease_owner = ? and id in ${IN_IDS} and ${STILL_PENDING}`,
      args: [owner, idList(rows.map((row) => row.id))],
    },
  ];
}
