import type { KnownUser } from "../sync/user-index.ts";

export type TakeoverInput = {
  /** Users an administrator confirmed for this run. */
  confirmed: ReadonlySet<string>;
  /** Users an administrator chose to leave alone for this connection. */
  excluded: ReadonlySet<string>;
  /** Active holders of the user-sync permission before the run, earliest created first. */
  administrators: readonly string[];
};

export type TakeoverVerdict =
  | { kind: "proceed" }
  | { kind: "leave" }
  | { kind: "hold"; reason: string }
  | { kind: "keep_last_administrator" };

/**
 * Directory data never takes over a privileged account (spec §4.11). Linking an existing
 * user to the directory, converting it to directory sign-in or restoring it is held for an
 * administrator's confirmation when the user holds a permission-granting role or has a
 * password; a user left alone is never taken over; and even confirmed, the last user-sync
 * administrator who still signs in as before is not converted (no lock-out: the last-admin
 * rule counts conversions as it counts deletions).
 */
export function createTakeoverGuard(input: TakeoverInput) {
  const unconverted = new Set(input.administrators);
  return {
    /** Whether the run may link, convert or restore `user` (a match not yet linked here, or deleted). */
    check(user: KnownUser, linkedHere: boolean): TakeoverVerdict {
      if (linkedHere && !user.deleted) return { kind: "proceed" };
      if (input.excluded.has(user.id)) return { kind: "leave" };
      const holds = [
        user.privileged ? "holds a role with permissions" : null,
        user.hasPassword ? "signs in with a password" : null,
      ].filter((reason): reason is string => reason !== null);
      if (holds.length > 0 && !input.confirmed.has(user.id))
        return { kind: "hold", reason: holds.join(" and ") };
      if (!linkedHere && unconverted.has(user.id)) {
        if (unconverted.size === 1) return { kind: "keep_last_administrator" };
        unconverted.delete(user.id);
      }
      return { kind: "proceed" };
    },
    /** Administrators this run has not converted: only they count for the deletion rule. */
    remainingAdministrators: () => input.administrators.filter((id) => unconverted.has(id)),
  };
}

export type TakeoverGuard = ReturnType<typeof createTakeoverGuard>;
