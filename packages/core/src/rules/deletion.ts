import type { SyncOptions } from "@roster/connector-kit";

/** What the deletion rules need to know about an application user. */
export type DeletionCandidate = { id: string; externalId: string | null };

export type DeletionInput<U extends DeletionCandidate> = {
  /** Active users linked to the connection when the run started (before anything it wrote). */
  activeBefore: readonly U[];
  /**
   * How many they are, when `activeBefore` holds only some of them (a run reading changes
   * knows only the users its changes name); by default `activeBefore.length`.
   */
  activeCount?: number;
  /** External ids of the enabled directory users the complete read returned. */
  seen: ReadonlySet<string>;
  limit: SyncOptions["deletionLimit"];
  /** An administrator confirmed this run's deletions above the limit. */
  limitLifted: boolean;
  /** Active holders of the user-sync permission, earliest created first. */
  administrators: readonly string[];
};

export type DeletionPlan<U> =
  | { kind: "delete"; users: U[]; kept: U[] }
  | { kind: "review"; users: U[]; kept: U[]; limit: number };

/**
 * The deletion rules of spec §4.6–§4.7, for a run whose read was complete and whose
 * connection manages deletion:
 * - candidates are the connection's active users the directory did not return as enabled
 *   (a disabled account counts as missing);
 * - the last active user-sync administrator is never deleted: if every administrator is a
 *   candidate, the earliest created one is kept;
 * - the limit is a share of the connection's active users *before* the run (at least the
 *   minimum): users the run itself created cannot raise it;
 * - above the limit nobody is deleted until an administrator confirms.
 */
export function planDeletions<U extends DeletionCandidate>(
  input: DeletionInput<U>,
): DeletionPlan<U> {
  const candidates = input.activeBefore.filter(
    (user) => user.externalId !== null && !input.seen.has(user.externalId),
  );
  const keep = lastAdministratorToKeep(
    input.administrators,
    new Set(candidates.map((user) => user.id)),
  );
  const users = candidates.filter((user) => user.id !== keep);
  const kept = candidates.filter((user) => user.id === keep);
  const limit = deletionLimit(input.activeCount ?? input.activeBefore.length, input.limit);
  if (users.length > limit && !input.limitLifted) return { kind: "review", users, kept, limit };
  return { kind: "delete", users, kept };
}

/** How many users a run may delete without confirmation (spec §4.6). */
export function deletionLimit(activeBefore: number, limit: SyncOptions["deletionLimit"]): number {
  return Math.max(limit.minimum, Math.floor((activeBefore * limit.percent) / 100));
}

/** The administrator to keep when every one of them would be deleted; else none. */
function lastAdministratorToKeep(
  administrators: readonly string[],
  candidates: ReadonlySet<string>,
): string | null {
  if (administrators.some((id) => !candidates.has(id))) return null;
  return administrators[0] ?? null;
}
