import type { InStatement } from "@libsql/client";
import type { RunProgress } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import type { ProgressListener } from "../sync/progress.ts";

/** An administrator cancelled the run or preview: it stops between pages and deletes nobody. */
export class CancelledError extends Error {
  constructor() {
    super("Cancelled by an administrator; nobody was deleted.");
    this.name = "CancelledError";
  }
}

/** At most one progress write a second: a run reports at every page, 999 users each. */
export const PROGRESS_EVERY_MS = 1000;

/**
 * Persists progress at most every `everyMs` (and at each phase change), one write in flight
 * at a time, so every process can show it. Each write returns whether a cancel was asked on
 * the row: a run in another process is cancelled that way (`cancelled` is called once).
 * On a local file the writes go through the writer thread, in turn with the run's own
 * writes: on the main connection, waiting for a sync's write lock would stop the event loop.
 */
export function progressWriter(
  deps: CoreDeps,
  statement: (progress: RunProgress) => InStatement,
  cancelled: () => void,
  everyMs = PROGRESS_EVERY_MS,
): { listener: ProgressListener; flush(): Promise<void> } {
  const writer = deps.db.openPageWriter?.();
  const write = async (progress: RunProgress): Promise<boolean> => {
    const query = statement(progress);
    if (writer?.returning) {
      const [rows] = await writer.returning([query]);
      return rows?.[0]?.cancel_requested_at != null;
    }
    const result = await deps.db.client.execute(query);
    return result.rows[0]?.cancel_requested_at != null;
  };
  let lastWrite = 0;
  let lastPhase: string | null = null;
  let inFlight: Promise<void> | null = null;
  let latest: RunProgress | null = null;
  let trailing: ReturnType<typeof setTimeout> | null = null;
  let told = false;
  const send = (progress: RunProgress) => {
    lastWrite = Date.now();
    lastPhase = progress.phase;
    latest = null;
    inFlight = write(progress)
      .then((cancel) => {
        if (cancel && !told) {
          told = true;
          cancelled();
        }
      })
      .catch((error: unknown) => deps.log.warn("progress write failed", { error: String(error) }))
      .finally(() => {
        inFlight = null;
        consider();
      });
  };
  /**
   * Writes the latest progress now if a phase changed or a second passed; otherwise once the
   * second is up (a run waiting on a slow page still shows the pages before it).
   */
  const consider = () => {
    if (!latest || inFlight) return;
    const wait = everyMs - (Date.now() - lastWrite);
    if (latest.phase !== lastPhase || wait <= 0) {
      if (trailing) clearTimeout(trailing);
      trailing = null;
      send(latest);
    } else if (!trailing) {
      trailing = setTimeout(() => {
        trailing = null;
        consider();
      }, wait);
    }
  };
  return {
    listener(progress) {
      latest = progress;
      consider();
    },
    /** Writes the last progress not yet written (the run ended). */
    async flush() {
      if (trailing) clearTimeout(trailing);
      trailing = null;
      await inFlight;
      if (latest) send(latest);
      await inFlight;
    },
  };
}

/** The progress statement of a run: only while its process holds the lease. */
export const runProgressStatement =
  (runId: string, leaseToken: string) =>
  (progress: RunProgress): InStatement => ({
    sql: `update sync_runs set progress = ? where id = ? and lease_owner = ? and outcome = 'running'
          returning cancel_requested_at`,
    args: [JSON.stringify(progress), runId, leaseToken],
  });

/** The progress statement of a preview job. */
export const previewProgressStatement =
  (previewId: string) =>
  (progress: RunProgress): InStatement => ({
    sql: `update sync_previews set progress = ? where id = ? and status = 'running'
          returning cancel_requested_at`,
    args: [JSON.stringify(progress), previewId],
  });
