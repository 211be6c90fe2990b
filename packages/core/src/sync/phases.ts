import {
  type Connector,
  ConnectorError,
  resolveTemplateFields,
  type SyncOptions,
} from "@roster/connector-kit";
import { roles } from "@roster/db";
import { and, eq } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import { PERMISSIONS } from "../permissions.ts";
import { compileAliasTemplate } from "../rules/aliases.ts";
import { chooseReadMode, type ReadMode } from "../rules/full-read.ts";
import type { Issue } from "../rules/issue.ts";
import { drawPin } from "../rules/pin.ts";
import { createPlanner } from "../rules/plan.ts";
import { createTakeoverGuard, type TakeoverGuard } from "../rules/takeover.ts";
import { holdersOf } from "../runs/notify.ts";
import {
  isStorageFailure,
  LeaseLostError,
  openRunStore,
  type RunLease,
  type RunStore,
  StorageError,
  WriterStoppedError,
} from "./store/index.ts";
import { excludedUsers } from "./store/user-chunks.ts";
import type { SyncMode, SyncTarget } from "./synchronize.ts";
import type { KnownUser, UserIndex } from "./user-index.ts";

/** The planner of a run: the rules over the index, with the run's options and PINs. */
export function plannerFor(
  deps: CoreDeps,
  target: SyncTarget,
  options: SyncOptions,
  index: UserIndex,
  takeover: TakeoverGuard,
) {
  return createPlanner({
    takeover,
    index,
    connectionId: target.connectionId,
    options,
    aliases: compileAliasTemplate(options.aliasTemplate, options.aliasesWithoutInvalidCharacters),
    newPin: () =>
      index.takeReservedPin() ??
      drawPin(index.pinHashes, (pin) => deps.keyring.hashPin(target.tenantId, pin)),
  });
}

/**
 * Whether a run may take over existing users: who administers user sync now, whom an
 * administrator confirmed for this run, and whom this connection must leave alone.
 */
export async function takeoverFor(
  deps: CoreDeps,
  target: SyncTarget,
  confirmed: readonly string[],
): Promise<TakeoverGuard> {
  return createTakeoverGuard({
    administrators: await holdersOf(deps, target.tenantId, PERMISSIONS.userSync),
    confirmed: new Set(confirmed),
    excluded: await excludedUsers(deps.db.client, target.tenantId, target.connectionId),
  });
}

/** Where a run writes, under its lease. */
export async function storeFor(
  deps: CoreDeps,
  target: SyncTarget,
  options: SyncOptions,
  lease: RunLease,
): Promise<RunStore> {
  const writeTarget = {
    tenantId: target.tenantId,
    tenantName: target.tenantName,
    signIn: target.connector.signIn,
    userRoleId: await userRoleIdOf(deps, target.tenantId),
    sendPinEmails: options.sendPinEmails,
    runId: lease.runId,
  };
  return openRunStore(deps, writeTarget, lease);
}

/** The directory fields the alias template names (for Graph: `$select`). */
export const fieldsToRead = (options: SyncOptions, connector: Connector): string[] =>
  [...resolveTemplateFields(options.aliasTemplate, connector.templateFields).values()].filter(
    (field): field is string => !!field,
  );

/** The role users created by a sync get: the tenant's built-in `User`. */
async function userRoleIdOf(deps: CoreDeps, tenantId: string): Promise<string | null> {
  const [role] = await deps.db.db
    .select({ id: roles.id })
    .from(roles)
    .where(and(eq(roles.tenantId, tenantId), eq(roles.name, "User")));
  return role?.id ?? null;
}

/** The groups could not be read after the users were written. */
class GroupsReadError extends Error {
  constructor(cause: unknown) {
    super(
      `Users were synchronized, but the groups could not be read: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
  }
}

/** Reads the selected groups and mirrors them as application groups. */
export async function mirrorGroups(
  store: RunStore,
  target: SyncTarget,
  input: Parameters<SyncTarget["connector"]["readGroups"]>[0],
): Promise<void> {
  const ids = target.connector.selectedGroupIds(target.settings as never);
  if (ids.length === 0) return;
  const groups = await target.connector.readGroups(input, ids).catch((error: unknown) => {
    throw new GroupsReadError(error);
  });
  await store.syncGroups(target.connectionId, groups);
}

/** Why a run with users held for confirmation ends `needs_review`. */
export const heldForReview = (held: number) =>
  `${held} existing ${held === 1 ? "user holds" : "users hold"} a role or a password: an administrator must confirm before the directory takes ${held === 1 ? "it" : "them"} over, or leave ${held === 1 ? "it" : "them"} alone.`;

/** Whether this run reads everything or only the changes since the last clean run. */
export function readModeOf(
  deps: CoreDeps,
  target: SyncTarget,
  mode: SyncMode,
  options: SyncOptions,
): ReadMode {
  const changes = target.changes;
  return chooseReadMode({
    supportsChanges: !!target.connector.readChanges,
    requested: mode.read ?? "incremental",
    cursorIssuedAt: changes?.cursor ? changes.issuedAt : null,
    cursorDropped: changes?.dropped ?? null,
    lastFullRunAt: changes?.lastFullRunAt ?? null,
    fullSyncEveryDays: options.fullSyncEveryDays,
    now: deps.clock.now(),
  });
}

/** The warning for the last administrator, kept although the directory lost them. */
export const keptAdministrator = (user: KnownUser): Issue => ({
  externalId: user.externalId,
  email: user.email,
  displayName: `${user.firstName} ${user.lastName}`,
  code: "last_administrator_kept",
  message: "Not deleted: the last active user allowed to manage user synchronization.",
});

/** The reason a run that stopped early records, in words an administrator can act on. */
export function failureReason(error: unknown): string {
  if (error instanceof LeaseLostError || error instanceof StorageError) return error.message;
  if (error instanceof GroupsReadError) return error.message;
  if (error instanceof WriterStoppedError) return `${error.message} Run it again.`;
  if (isStorageFailure(error)) return new StorageError(error).message;
  if (error instanceof ConnectorError) return `${error.message} (${error.code})`;
  return `The run stopped: ${error instanceof Error ? error.message : String(error)}`;
}
