import type { Client } from "@libsql/client";
import { type SyncOptions, syncOptionsSchema } from "@roster/connector-kit";
import type { CoreDeps } from "../context.ts";
import type { FullReason, ReadMode } from "../rules/full-read.ts";
import { fieldsToRead, plannerFor, readModeOf, storeFor, takeoverFor } from "./phases.ts";
import { createProgress } from "./progress.ts";
import { startReading } from "./read.ts";
import { activeUsersOf, type JsonQuery, jsonQueryOn } from "./store/user-chunks.ts";
import type { SyncMode, SyncTarget } from "./synchronize.ts";
import { createTally } from "./tally.ts";
import { UserIndex } from "./user-index.ts";
import { createWriteQueue, FILE_CHUNKS, SERVER_CHUNKS } from "./write-queue.ts";

/**
 * Everything a run decides with, and its read under way: what to read (everything, or the
 * changes), the index of the tenant's users (all of it for a full read, filled page by page
 * for changes), who holds the user-sync permission, the planner, the writer and the tally.
 */
export async function setUpRun(
  deps: CoreDeps,
  target: SyncTarget,
  mode: SyncMode,
  signal: AbortSignal | undefined,
  resync: FullReason | undefined,
) {
  const options: SyncOptions = syncOptionsSchema.parse(target.settings);
  const read: ReadMode = resync
    ? { mode: "full", fullReason: resync }
    : readModeOf(deps, target, mode, options);
  const incremental = read.mode === "incremental";
  const { client } = deps.db;
  const { tenantId, connectionId } = target;
  const input = { settings: target.settings, secret: target.secret, log: deps.log, signal };
  // Reading starts first: the directory answers while the tenant's users load. Its own
  // signal also stops the pages read ahead when the run ends early (a failed write, say).
  const reading = new AbortController();
  const stopReading = () => reading.abort(new Error("The run stopped reading."));
  const pages = startReading(
    target.connector,
    {
      ...input,
      signal: signal ? AbortSignal.any([signal, reading.signal]) : reading.signal,
      fields: fieldsToRead(options, target.connector),
    },
    incremental
      ? { mode: "incremental", cursor: target.changes?.cursor as string }
      : { mode: "full" },
  );
  try {
    const index = incremental
      ? new UserIndex()
      : await UserIndex.load(indexSource(deps), tenantId, connectionId);
    // Taken before planning: the deletion limit is a share of the users active before the run.
    const activeBefore = index.activeOfConnection(connectionId);
    const activeCount = incremental
      ? await activeUsersOf(client, tenantId, connectionId)
      : activeBefore.length;
    const takeover = await takeoverFor(deps, target, mode.dryRun ? [] : mode.confirmedUserIds);
    const tally = createTally();
    const store = mode.dryRun ? null : await storeFor(deps, target, options, mode.lease);
    // A preview keeps no decisions: keeping them would hold the whole directory.
    const queue =
      store &&
      createWriteQueue(
        async (chunk) => {
          for (const { action } of await store.writeDecisions(chunk)) tally.refused(action);
        },
        deps.db.openPageWriter ? FILE_CHUNKS : SERVER_CHUNKS,
      );
    return {
      options,
      read,
      incremental,
      index,
      activeBefore,
      activeCount,
      takeover,
      planner: plannerFor(deps, target, options, index, takeover),
      tally,
      progress: createProgress(tally.counts, mode.onProgress),
      store,
      queue,
      input,
      pages,
      stopReading,
    };
  } catch (error) {
    stopReading();
    throw error;
  }
}

/**
 * Where the index loads from: the writer thread when there is one (a local file), so the
 * directory's pages are taken in and parsed while SQLite reads the users; else the client.
 */
function indexSource(deps: CoreDeps): Client | JsonQuery {
  const writer = deps.db.openPageWriter?.();
  return writer?.read ? jsonQueryOn(writer as Required<typeof writer>) : deps.db.client;
}

export type RunSetup = Awaited<ReturnType<typeof setUpRun>>;
