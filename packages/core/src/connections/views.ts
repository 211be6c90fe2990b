import type { Connection, SyncRun } from "@roster/db";
import type { RunEmails } from "../outbox/run-emails.ts";
import { iso } from "../paging.ts";

export type ConnectionView = ReturnType<typeof connectionView>;

/** A connection as the API shows it: the secret never, only whether one is set. */
export const connectionView = (
  connection: Connection,
  lastRun: (SyncRun & { emails?: RunEmails }) | null,
) => ({
  id: connection.id,
  type: connection.type,
  name: connection.name,
  status: connection.status,
  lastError: connection.lastError ?? null,
  settings: connection.settings,
  secretSet: connection.secretCiphertext !== "",
  secretExpiresAt: iso(connection.secretExpiresAt),
  autoSync: {
    enabled: connection.autoSyncEnabled,
    activatedAt: iso(connection.autoSyncActivatedAt),
    nextRunAt: iso(connection.autoSyncNextRunAt),
  },
  lastRun: lastRun
    ? {
        id: lastRun.id,
        trigger: lastRun.trigger,
        outcome: lastRun.outcome,
        startedAt: iso(lastRun.startedAt) as string,
        finishedAt: iso(lastRun.finishedAt),
        counts: lastRun.counts,
        /** Why it failed or needs review: shown on the card. */
        error: lastRun.error,
        pendingDeletions: lastRun.pendingDeletions,
        progress: lastRun.progress ?? null,
        cancelRequested: lastRun.cancelRequestedAt !== null,
        /** Its welcome emails: queued with the users, delivered by the dispatcher after. */
        emails: lastRun.emails ?? null,
      }
    : null,
  createdAt: iso(connection.createdAt) as string,
  updatedAt: iso(connection.updatedAt) as string,
});
