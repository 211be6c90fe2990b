import type { DirectoryUser } from "@roster/connector-kit";
import type { KnownUser, UserIndex } from "../sync/user-index.ts";

/**
 * Which application user a directory user is (spec §4.3): the user this connection synced
 * with that directory object id, else the tenant's user with the same email (compared
 * lower-cased). Soft-deleted users match too: they are restored, never duplicated.
 */
export function matchUser(index: UserIndex, user: DirectoryUser): KnownUser | undefined {
  return (
    index.byExternalId.get(user.externalId) ??
    (user.email ? index.byEmail.get(user.email.toLowerCase()) : undefined)
  );
}
