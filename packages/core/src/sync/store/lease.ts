import type { InStatement } from "@libsql/client";
import type { CoreDeps } from "../../context.ts";
import type { Guard } from "./sql.ts";

/**
 * A run's claim on its connection: the run id and the token it was claimed with. Every
 * write of a run is conditional on still holding it, so a run that another process reaped
 * (its lease lapsed) cannot write one more row, nor its outcome.
 */
export type RunLease = { runId: string; token: string };

const HELD =
  "exists (select 1 from sync_runs where id = ? and lease_owner = ? and outcome = 'running')";

/** The condition each statement of a run's writes carries. */
export const leaseHeld = (lease: RunLease): Guard => ({
  sql: HELD,
  args: [lease.runId, lease.token],
});

/**
 * The first statement of every write batch: renews the lease and, by the rows it changed,
 * tells whether the run still held it (the rest of the batch is guarded by `leaseHeld`).
 */
export const renewal = (lease: RunLease, expiresAt: number): InStatement => ({
  sql: "update sync_runs set lease_expires_at = ? where id = ? and lease_owner = ? and outcome = 'running'",
  args: [expiresAt, lease.runId, lease.token],
});

/** The run lost its lease to another process: it stops, and writes nothing more. */
export class LeaseLostError extends Error {
  constructor() {
    super(
      "Taken over: this run did not renew its lease in time and another process reclaimed the connection; the run stopped and wrote nothing more.",
    );
    this.name = "LeaseLostError";
  }
}

/** Why a reaper marks a run failed: its process died, or stalled past its lease. */
export const TAKEN_OVER =
  "Taken over: the process running this synchronization stopped before it finished (its lease was not renewed in time).";

/** Lease length when the deps name none (ROSTER_RUN_LEASE_SECONDS). */
export const DEFAULT_LEASE_MS = 2 * 60 * 1000;

/** How long a claim (a run's, an email batch's) holds without a renewal. */
export const leaseMsOf = (deps: Pick<CoreDeps, "leaseMs">) => deps.leaseMs ?? DEFAULT_LEASE_MS;

/** When a lease taken or renewed now lapses. */
export const leaseExpiry = (deps: Pick<CoreDeps, "leaseMs" | "clock">) =>
  deps.clock.now().getTime() + leaseMsOf(deps);
