import { randomInt } from "node:crypto";
import {
  type Connector,
  ConnectorError,
  type DirectoryUser,
  resolveTemplateFields,
  type SyncOptions,
  syncOptionsSchema,
} from "@roster/connector-kit";
import type { RunCounts } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import { PERMISSIONS } from "../permissions.ts";
import { holdersOf } from "../runs/notify.ts";
import { compileAliasTemplate } from "./aliases.ts";
import { letRequestsIn } from "./event-loop.ts";
import { syncGroups } from "./groups.ts";
import { type Action, createPlanner, type Issue, type NewPin } from "./plan.ts";
import { UserIndex } from "./user-index.ts";
import {
  type BatchWrite,
  deleteUsers,
  isStorageFailure,
  onMainConnection,
  StorageError,
  writeActions,
  writeIssues,
} from "./writer.ts";

export type SyncTarget = {
  tenantId: string;
  tenantName: string;
  connectionId: string;
  connector: Connector;
  /** Parsed connector settings. */
  settings: Record<string, unknown>;
  secret: string;
};

export type SyncMode =
  | { dryRun: true }
  | {
      dryRun: false;
      runId: string;
      /** An administrator confirmed deletions above the limit for this run. */
      deletionLimitLifted: boolean;
      /** Called between pages: renews the run's lease. */
      heartbeat?: () => Promise<void>;
    };

export type Sample = {
  externalId: string | null;
  email: string | null;
  name: string | null;
  reason?: string;
};

export type SyncResult = {
  outcome: "succeeded" | "completed_with_errors" | "needs_review" | "failed";
  error: string | null;
  counts: RunCounts;
  pendingDeletions: number;
  /** First users of each kind of change (Preview shows them). */
  samples: Record<"created" | "updated" | "restored" | "deleted" | "failed", Sample[]>;
};

const SAMPLE_SIZE = 10;

/**
 * Most users written per transaction. The writer takes whatever was decided whenever it is
 * free, so transactions grow only while it is behind; reading waits only beyond this many.
 * Fewer, larger transactions cost far less with random-key indexes (measured at 100k users:
 * 6.4 s a page at a time, 3.1 s in one). The writes run on the writer thread, so a larger
 * one does not stall the API; a crash loses at most this many, which the next run redoes.
 */
const WRITE_CHUNK_USERS = 50_000;

export const emptyCounts = (): RunCounts => ({
  created: 0,
  updated: 0,
  restored: 0,
  deleted: 0,
  skipped: 0,
  unchanged: 0,
  failed: 0,
});

/**
 * One run of a connection (spec §4): stream the directory page by page, decide each user,
 * write each page in one transaction, then — only after a complete read — delete within
 * the limit. In dry-run mode the same decisions are counted and nothing is written.
 */
export async function synchronize(
  deps: CoreDeps,
  target: SyncTarget,
  mode: SyncMode,
  signal?: AbortSignal,
): Promise<SyncResult> {
  const counts = emptyCounts();
  const samples: SyncResult["samples"] = {
    created: [],
    updated: [],
    restored: [],
    deleted: [],
    failed: [],
  };
  const sample = (kind: keyof SyncResult["samples"], entry: Sample) => {
    if (samples[kind].length < SAMPLE_SIZE) samples[kind].push(entry);
  };
  const options: SyncOptions = syncOptionsSchema.parse(target.settings);
  const { client } = deps.db;
  const index = await UserIndex.load(client, target.tenantId, target.connectionId);
  const userRoleId = await roleId(deps, target.tenantId, "User");
  const fieldMap = resolveTemplateFields(options.aliasTemplate, target.connector.templateFields);
  const fields = [...new Set([...fieldMap.values()].filter((field): field is string => !!field))];
  const planner = createPlanner({
    index,
    connectionId: target.connectionId,
    options,
    aliases: compileAliasTemplate(options.aliasTemplate, options.aliasesWithoutInvalidCharacters),
    newPin: () => drawPin(index.pinHashes, (pin) => deps.keyring.hashPin(target.tenantId, pin)),
  });
  const input = { settings: target.settings, secret: target.secret, log: deps.log, signal };
  const runId = mode.dryRun ? null : mode.runId;
  const log = deps.log;

  const countAction = (action: Action, directoryUser: DirectoryUser) => {
    const entry = {
      externalId: directoryUser.externalId,
      email: directoryUser.email,
      name: directoryUser.displayName,
    };
    switch (action.kind) {
      case "create":
        counts.created += 1;
        return sample("created", entry);
      case "restore":
        counts.restored += 1;
        return sample("restored", entry);
      case "update":
        counts.updated += 1;
        return sample("updated", entry);
      case "unchanged":
        counts.unchanged += 1;
        return;
      case "skipped":
        counts.skipped += 1;
        return;
      case "failed":
        counts.failed += 1;
        return sample("failed", { ...entry, reason: action.issue.message });
    }
  };

  const pageWriter = mode.dryRun ? undefined : deps.db.openPageWriter?.();
  const write: BatchWrite = pageWriter
    ? (statements) => pageWriter.batch(statements)
    : onMainConnection(deps);
  const writeTarget = (runId: string) => ({
    tenantId: target.tenantId,
    tenantName: target.tenantName,
    runId,
    signIn: target.connector.signIn,
    userRoleId,
    sendPinEmails: options.sendPinEmails,
  });
  /** Decisions not yet written, and the previous chunk's write, running meanwhile. */
  let buffer = { actions: [] as Action[], failures: [] as Issue[], warnings: [] as Issue[] };
  let inFlight: Promise<void> | null = null;
  let writing = false;
  const settle = async () => {
    const current = inFlight;
    inFlight = null;
    if (current) await current;
  };
  /** Writes the buffered decisions in one transaction, while the next ones are read and decided. */
  const flush = async () => {
    if (mode.dryRun || runId === null) return;
    const chunk = buffer;
    buffer = { actions: [], failures: [], warnings: [] };
    // One chunk in flight at most.
    await settle();
    if (chunk.actions.length + chunk.failures.length + chunk.warnings.length === 0) return;
    writing = true;
    const job = (async () => {
      const written = await writeActions(deps, writeTarget(runId), chunk.actions, write);
      for (const failure of written.failures) {
        uncount(counts, chunk.actions, failure);
        counts.failed += 1;
      }
      await writeIssues(deps, runId, "failure", [...chunk.failures, ...written.failures]);
      // The chunk's welcome emails are committed with its users: the dispatcher delivers them.
      if (written.emails.length > 0) deps.emailDispatcher?.wake();
      await writeIssues(deps, runId, "warning", chunk.warnings);
      await mode.heartbeat?.();
    })().finally(() => {
      writing = false;
    });
    // Awaited by settle(); this only keeps a rejection from counting as unhandled meanwhile.
    job.catch(() => {});
    inFlight = job;
  };
  try {
    for await (const page of prefetched(target.connector.readUsers({ ...input, fields }))) {
      for (const directoryUser of page) {
        const { action, warnings } = planner.plan(directoryUser);
        countAction(action, directoryUser);
        // A preview only counts: keeping its decisions would hold the whole directory.
        if (mode.dryRun) continue;
        buffer.warnings.push(...warnings);
        if (action.kind === "failed") buffer.failures.push(action.issue);
        else buffer.actions.push(action);
      }
      // Hand the writer whatever is decided as soon as it is free, so it starts on the first
      // page; when it falls behind, chunks grow up to WRITE_CHUNK_USERS and reading waits.
      const buffered = buffer.actions.length + buffer.failures.length;
      if (buffered >= WRITE_CHUNK_USERS || (!writing && buffered > 0)) await flush();
      // A prefetched page is ready at once: without this, pages follow each other without
      // letting a single request in.
      await letRequestsIn();
    }
    await flush();
    await settle();
  } catch (caught) {
    // Finish the write in flight, and keep what was read before the directory failed.
    let error: unknown = caught;
    try {
      await settle();
      if (!(caught instanceof StorageError)) {
        await flush();
        await settle();
      }
    } catch (writeError) {
      if (writeError instanceof StorageError || isStorageFailure(writeError)) error = writeError;
    }
    // Any write the database refused (a page, its issues, a lease) ends the run the same way.
    if (!(error instanceof StorageError) && isStorageFailure(error))
      error = new StorageError(error);
    if (error instanceof StorageError) {
      log.error("sync stopped: storage failure", { runId, reason: error.message });
      return { outcome: "failed", error: error.message, counts, pendingDeletions: 0, samples };
    }
    // An incomplete read: keep what was written, delete nobody (spec §4.1).
    const reason =
      error instanceof ConnectorError
        ? `${error.message} (${error.code})`
        : `The run stopped: ${error instanceof Error ? error.message : String(error)}`;
    log.warn("sync read incomplete", { runId, connectionId: target.connectionId, reason });
    return { outcome: "failed", error: reason, counts, pendingDeletions: 0, samples };
  }

  // Deletion: only after a complete read, only when managed (spec §4.6–4.7).
  let pendingDeletions = 0;
  if (options.manageUserDeletion) {
    const candidates = index
      .activeOfConnection(target.connectionId)
      .filter((user) => user.externalId !== null && !planner.seen.has(user.externalId));
    const keep = await lastAdministratorsToKeep(
      deps,
      target.tenantId,
      candidates.map((user) => user.id),
    );
    const toDelete = candidates.filter((user) => !keep.has(user.id));
    const active = index.activeOfConnection(target.connectionId).length;
    const limit = Math.max(
      options.deletionLimit.minimum,
      Math.floor((active * options.deletionLimit.percent) / 100),
    );
    const lifted = !mode.dryRun && mode.deletionLimitLifted;
    if (toDelete.length > limit && !lifted) {
      pendingDeletions = toDelete.length;
      for (const user of toDelete)
        sample("deleted", {
          externalId: user.externalId,
          email: user.email,
          name: `${user.firstName} ${user.lastName}`,
        });
      return {
        outcome: "needs_review",
        error: `${toDelete.length} users would be deleted, more than the limit of ${limit}. An administrator must confirm.`,
        counts,
        pendingDeletions,
        samples,
      };
    }
    counts.deleted = toDelete.length;
    for (const user of toDelete)
      sample("deleted", {
        externalId: user.externalId,
        email: user.email,
        name: `${user.firstName} ${user.lastName}`,
      });
    if (!mode.dryRun) {
      await deleteUsers(
        deps,
        target.tenantId,
        toDelete.map((user) => user.id),
        write,
      );
      const kept = candidates.filter((user) => keep.has(user.id));
      await writeIssues(
        deps,
        mode.runId,
        "warning",
        kept.map((user) => ({
          externalId: user.externalId,
          email: user.email,
          displayName: `${user.firstName} ${user.lastName}`,
          code: "last_administrator_kept",
          message: "Not deleted: the last active user allowed to manage user synchronization.",
        })),
      );
    }
  }

  const selectedGroups = target.connector.selectedGroupIds(target.settings as never);
  if (!mode.dryRun && selectedGroups.length > 0) {
    try {
      const groups = await target.connector.readGroups(input, selectedGroups);
      await syncGroups(deps, target.tenantId, target.connectionId, groups, index, write);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return {
        outcome: "failed",
        error: `Users were synchronized, but the groups could not be read: ${reason}`,
        counts,
        pendingDeletions,
        samples,
      };
    }
  }

  return {
    outcome: counts.failed > 0 ? "completed_with_errors" : "succeeded",
    error: null,
    counts,
    pendingDeletions,
    samples,
  };
}

/**
 * Asks the directory for the next page while the current one is decided and written, so
 * the directory's latency and the database's work overlap instead of adding up.
 */
async function* prefetched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const result = await next;
    if (result.done) return;
    next = iterator.next();
    // Observed later by the await above; this only keeps an early exit from reporting it unhandled.
    next.catch(() => {});
    yield result.value;
  }
}

/** A user whose write failed is counted as failed instead of its planned kind. */
function uncount(counts: RunCounts, actions: Action[], failure: Issue) {
  const action = actions.find(
    (candidate) => "user" in candidate && candidate.user.externalId === failure.externalId,
  );
  if (!action) return;
  const key = (
    { create: "created", restore: "restored", update: "updated", unchanged: "unchanged" } as const
  )[action.kind as "create" | "restore" | "update" | "unchanged"];
  if (key) counts[key] -= 1;
}

/**
 * Draws a numeric PIN not yet used in the tenant (checked by its keyed hash). PINs grow with
 * the tenant so that fewer than 1 % of them are taken: a guessed PIN is rarely someone's.
 */
function drawPin(used: Set<string>, hashOf: (pin: string) => string): NewPin {
  const length = used.size < 9_000 ? 6 : used.size < 900_000 ? 8 : 10;
  for (;;) {
    const pin = String(randomInt(10 ** (length - 1), 10 ** length));
    const hash = hashOf(pin);
    if (!used.has(hash)) {
      used.add(hash);
      return { pin, hash };
    }
  }
}

async function roleId(deps: CoreDeps, tenantId: string, name: string): Promise<string | null> {
  const result = await deps.db.client.execute({
    sql: "select id from roles where tenant_id = ? and name = ?",
    args: [tenantId, name],
  });
  const row = result.rows[0];
  return row ? String(row.id) : null;
}

/**
 * Never delete the last active holder of the user-sync permission (no lock-out): if every
 * active holder is a deletion candidate, the earliest created one is kept.
 */
async function lastAdministratorsToKeep(
  deps: CoreDeps,
  tenantId: string,
  candidateIds: string[],
): Promise<Set<string>> {
  if (candidateIds.length === 0) return new Set();
  const holderIds = await holdersOf(deps, tenantId, PERMISSIONS.userSync);
  const candidates = new Set(candidateIds);
  const survivors = holderIds.filter((id) => !candidates.has(id));
  if (holderIds.length === 0 || survivors.length > 0) return new Set();
  return new Set([holderIds[0] as string]);
}
