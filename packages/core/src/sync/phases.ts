import { ConnectorError } from "@roster/connector-kit";
import { roles } from "@roster/db";
import { and, eq } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import type { Issue } from "../rules/issue.ts";
import {
  isStorageFailure,
  LeaseLostError,
  type RunStore,
  StorageError,
  WriterStoppedError,
} from "./store/index.ts";
import type { SyncTarget } from "./synchronize.ts";
import type { KnownUser, UserIndex } from "./user-index.ts";

/** The role users created by a sync get: the tenant's built-in `User`. */
export async function userRoleIdOf(deps: CoreDeps, tenantId: string): Promise<string | null> {
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
  index: UserIndex,
): Promise<void> {
  const ids = target.connector.selectedGroupIds(target.settings as never);
  if (ids.length === 0) return;
  const groups = await target.connector.readGroups(input, ids).catch((error: unknown) => {
    throw new GroupsReadError(error);
  });
  await store.syncGroups(target.connectionId, groups, index);
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
