import { connections } from "@roster/db";
import { and, eq, isNotNull, lte } from "drizzle-orm";
import { checkSecretExpiry } from "../connections/expiry.ts";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";
import { startRun } from "../runs/execute.ts";

export const SYNC_INTERVAL_MS = 24 * 3600 * 1000;
const EXPIRY_WINDOW_MS = 7 * 24 * 3600 * 1000;

/** The first slot after `now` on the 24-hour grid that starts at `activatedAt`. */
export function nextSlotAfter(activatedAt: Date, now: Date): Date {
  const elapsed = now.getTime() - activatedAt.getTime();
  const periods = Math.floor(elapsed / SYNC_INTERVAL_MS) + 1;
  return new Date(activatedAt.getTime() + Math.max(1, periods) * SYNC_INTERVAL_MS);
}

/**
 * Starts the automatic runs that are due. Each instance may call this; a slot is taken by
 * moving `nextRunAt` forward with a compare-and-set, so only one instance wins it, and the
 * run row's unique (connection, slot) backs that up. Slots missed while the service was down
 * collapse into one run now (catch-up once).
 */
export async function startDueRuns(deps: CoreDeps): Promise<string[]> {
  const now = deps.clock.now();
  const due = await deps.db.db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.autoSyncEnabled, true),
        eq(connections.status, "connected"),
        isNotNull(connections.autoSyncNextRunAt),
        lte(connections.autoSyncNextRunAt, now),
      ),
    );
  const started: string[] = [];
  for (const connection of due) {
    const slot = connection.autoSyncNextRunAt as Date;
    const next = nextSlotAfter(connection.autoSyncActivatedAt ?? slot, now);
    const claimed = await deps.db.db
      .update(connections)
      .set({ autoSyncNextRunAt: next })
      .where(and(eq(connections.id, connection.id), eq(connections.autoSyncNextRunAt, slot)))
      .returning({ id: connections.id });
    if (claimed.length === 0) continue; // another instance took this slot
    try {
      const run = await startRun(deps, {
        tenantId: connection.tenantId,
        connectionId: connection.id,
        trigger: "automatic",
        triggeredBy: null,
        slot,
      });
      started.push(run.id);
    } catch (error) {
      // A run already in progress: the automatic one is dropped (spec §4).
      if (!(error instanceof DomainError)) throw error;
      deps.log.info("automatic run dropped", { connectionId: connection.id, reason: error.code });
    }
  }
  return started;
}

/** The daily secret-expiry check: every connection whose secret expires within 7 days. */
export async function checkExpiringSecrets(deps: CoreDeps): Promise<number> {
  const horizon = new Date(deps.clock.now().getTime() + EXPIRY_WINDOW_MS);
  const expiring = await deps.db.db
    .select()
    .from(connections)
    .where(and(isNotNull(connections.secretExpiresAt), lte(connections.secretExpiresAt, horizon)));
  let notified = 0;
  for (const connection of expiring) {
    if (await checkSecretExpiry(deps, connection)) notified += 1;
  }
  return notified;
}
