import type { InStatement } from "@libsql/client";
import type { CoreDeps } from "../context.ts";
import { IN_IDS, idList } from "../sync/store/sql.ts";
import type { OutboxWrite } from "./writes.ts";

/** An outbox row this process holds the lease on. */
export type ClaimedEmail = {
  id: string;
  runId: string | null;
  kind: string;
  to: string;
  subject: string;
  attempts: number;
};

/** Rows sent together in one request, under one Idempotency-Key. */
export type ClaimedBatch = { key: string; rows: ClaimedEmail[] };

export type ClaimOptions = { owner: string; leaseMs: number; limit: number };

const COLUMNS = `id, run_id, kind, "to", subject, attempts`;
/** A row no process holds (never leased, or its holder stopped renewing), and due. */
const FREE_AND_DUE = `status = 'pending'
  and (lease_expires_at is null or lease_expires_at <= :now)
  and (next_attempt_at is null or next_attempt_at <= :now)`;

/**
 * The Idempotency-Key of a group of rows: derived from their ids (the smallest and how many),
 * so the same rows always carry the same key; a row is in one unsettled group at a time, so
 * no two groups share one. The claim computes the same in SQL (`GROUP_KEY`). Resend allows
 * 256 characters and keeps a key 24 hours.
 */
export const idempotencyKeyOf = (ids: readonly string[]) =>
  `${KEY_PREFIX}${[...ids].sort()[0]}/${ids.length}`;
const KEY_PREFIX = "roster-outbox/";
const GROUP_KEY = `(select '${KEY_PREFIX}' || min(id) || '/' || count(*) from batch)`;

/**
 * Leases up to `groups` batches to send (one more when a keyed group is free), in one write
 * transaction of compare-and-set UPDATEs on the lease (SQLite runs each under the write lock,
 * subqueries included), so several processes on one database never hold the same row.
 * First a group that already has a key — sent before, its answer lost to a crash, a timeout
 * or a 5xx — taken again whole, with that key, so Resend replays it instead of sending twice;
 * then the oldest free rows, formed into new groups keyed in the same statement (so the key
 * is stored before the request).
 */
export async function claimBatches(
  deps: CoreDeps,
  write: OutboxWrite,
  options: ClaimOptions & { groups: number },
): Promise<ClaimedBatch[]> {
  const now = deps.clock.now().getTime();
  const lease = { owner: options.owner, until: now + options.leaseMs, now };
  const { resumed, fresh } = claimStatements(lease, options.limit);
  const results = await write([resumed, ...Array.from({ length: options.groups }, () => fresh)]);
  return results.flatMap((rows) => {
    const first = rows[0];
    return first ? [{ key: String(first.idempotency_key), rows: rows.map(claimedOf) }] : [];
  });
}

/** The statements that claim one group (see `claimBatches`); exported for the plan test. */
export function claimStatements(
  lease: { owner: string; until: number; now: number },
  limit: number,
): { resumed: InStatement; fresh: InStatement } {
  return {
    // Keys begin with their group's smallest id, and ids with their time: the key order of
    // the claim index is (about) the oldest group first, with no sort.
    resumed: {
      sql: `update outbox set lease_owner = :owner, lease_expires_at = :until
          where ${FREE_AND_DUE} and idempotency_key = (
            select idempotency_key from outbox
            where ${FREE_AND_DUE} and idempotency_key is not null
            order by idempotency_key limit 1)
          returning ${COLUMNS}, idempotency_key`,
      args: lease,
    },
    fresh: {
      sql: `with batch as materialized (
            select id from outbox
            where ${FREE_AND_DUE} and idempotency_key is null
            order by created_at, id limit :limit)
          update outbox set lease_owner = :owner, lease_expires_at = :until,
            idempotency_key = ${GROUP_KEY}
          where id in (select id from batch)
          returning ${COLUMNS}, idempotency_key`,
      args: { ...lease, limit },
    },
  };
}

/**
 * Gives a group of held rows its own key (a new group, or half of one Resend refused whole).
 * Stored before the request, so whoever sends these rows next sends them under it.
 */
export async function assignKey(
  write: OutboxWrite,
  owner: string,
  rows: readonly ClaimedEmail[],
): Promise<string> {
  const ids = rows.map((row) => row.id);
  const key = idempotencyKeyOf(ids);
  await write([
    {
      sql: `update outbox set idempotency_key = ? where lease_owner = ? and id in ${IN_IDS}`,
      args: [key, owner, idList(ids)],
    },
  ]);
  return key;
}

/**
 * The encrypted bodies of claimed rows, by id, read just before their request: a read, so
 * it never waits for a sync's write lock, and the claim itself rewrites only narrow rows.
 */
export async function readBodies(
  deps: CoreDeps,
  rows: readonly ClaimedEmail[],
): Promise<Map<string, string>> {
  const result = await deps.db.client.execute({
    sql: `select outbox_id, ciphertext from outbox_bodies where outbox_id in ${IN_IDS}`,
    args: [idList(rows.map((row) => row.id))],
  });
  return new Map(result.rows.map((row) => [String(row.outbox_id), String(row.ciphertext)]));
}

/** Whether a claim would find a row: a read, so it never waits for a sync's write lock. */
export async function anyClaimable(deps: CoreDeps): Promise<boolean> {
  const result = await deps.db.client.execute({
    sql: `select exists(select 1 from outbox where ${FREE_AND_DUE}) as found`,
    args: { now: deps.clock.now().getTime() },
  });
  return Number(result.rows[0]?.found) === 1;
}

/** When the next pending row becomes claimable (its retry time or its lease's end), if any. */
export async function nextDueAt(deps: CoreDeps): Promise<number | null> {
  const result = await deps.db.client.execute(
    `select min(max(coalesce(next_attempt_at, 0), coalesce(lease_expires_at, 0))) as due
     from outbox where status = 'pending'`,
  );
  const due = result.rows[0]?.due;
  return due === null || due === undefined ? null : Number(due);
}

const claimedOf = (row: Record<string, unknown>): ClaimedEmail => ({
  id: String(row.id),
  runId: row.run_id === null ? null : String(row.run_id),
  kind: String(row.kind),
  to: String(row.to),
  subject: String(row.subject),
  attempts: Number(row.attempts),
});
