/**
 * The simulator's directory: tenants, app registrations, users and groups, with a change
 * version on every write so delta queries can replay what changed.
 */

export type SimSecret = { value: string; expiresAt: Date };

/**
 * A redirect URI of an app registration and the platform it was added under: only `web`
 * may redeem a code with a client secret
 * (learn.microsoft.com/entra/identity-platform/reply-url).
 */
export type SimRedirectUri = { uri: string; platform: "web" | "spa" | "publicClient" };

/** An app registration with its client secrets and granted application permissions. */
export type SimApp = {
  clientId: string;
  displayName: string;
  secrets: SimSecret[];
  /** Application permissions granted with admin consent, e.g. `User.Read.All`. */
  roles: string[];
  /** Redirect URIs for sign-in; a sync-only registration has none (AADSTS500113). */
  redirectUris?: SimRedirectUri[];
};

/** A `microsoft.graph.user`; unset properties are `null` (Graph omits them only in delta). */
export type SimUser = {
  id: string;
  userPrincipalName: string;
  mail: string | null;
  givenName: string | null;
  surname: string | null;
  displayName: string | null;
  accountEnabled: boolean;
  userType: "Member" | "Guest";
  onPremisesSamAccountName: string | null;
  employeeId: string | null;
  department: string | null;
  jobTitle: string | null;
  mailNickname: string | null;
  companyName: string | null;
  city: string | null;
  country: string | null;
  officeLocation: string | null;
  mobilePhone: string | null;
  preferredLanguage: string | null;
  employeeType: string | null;
  state: string | null;
  postalCode: string | null;
  streetAddress: string | null;
  usageLocation: string | null;
  faxNumber: string | null;
  onPremisesUserPrincipalName: string | null;
  onPremisesDomainName: string | null;
  businessPhones: string[];
  otherMails: string[];
  proxyAddresses: string[];
  createdDateTime: string;
};

export type SimGroup = {
  id: string;
  displayName: string;
  description: string | null;
  mailNickname: string;
  /** Direct members: user ids and group ids (nesting); cycles are allowed, as in Entra. */
  memberIds: string[];
};

export type SimTenantInfo = { id: string; displayName: string; domain: string };

type Versioned<T> = { value: T; version: number };

/** Graph's `@removed` reasons (learn.microsoft.com/graph/delta-query-overview, "Resource representation in the delta query response"). */
export type RemovalReason = "changed" | "deleted";

/** A change to one group's direct membership, for `members@delta`. */
export type MembershipChange = {
  version: number;
  groupId: string;
  memberId: string;
  memberType: "user" | "group";
  removed: boolean;
};

/**
 * Soft-deleted objects stay restorable for 30 days, then are deleted permanently
 * (learn.microsoft.com/graph/api/resources/directory, "deleted items").
 */
export const SOFT_DELETE_RETENTION_MS = 30 * 24 * 3600 * 1000;

/** Index of the first entry whose version is above `version` (entries are version-ordered). */
function firstAfter(versions: readonly number[], version: number): number {
  let low = 0;
  let high = versions.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((versions[mid] as number) <= version) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** One Entra tenant: its own objects, change log and version counter. */
export class SimTenant {
  readonly info: SimTenantInfo;
  readonly apps = new Map<string, SimApp>();
  /** Set up groups freely before reading; change memberships later through `addMember`/`removeMember`. */
  readonly groups = new Map<string, SimGroup>();
  private readonly users = new Map<string, Versioned<SimUser>>();
  /** Soft-deleted users (directory/deletedItems), with when and which groups they were in. */
  private readonly deletedUsers = new Map<
    string,
    { value: SimUser; deletedAt: number; memberOf: string[] }
  >();
  /** Removed user ids with the version and reason of their removal, for delta `@removed`. */
  private readonly removed = new Map<string, { version: number; reason: RemovalReason }>();
  /** Version-ordered log of user changes (parallel arrays: a million entries stay compact). */
  private readonly logVersions: number[] = [];
  private readonly logIds: string[] = [];
  /** Version-ordered log of membership changes. */
  private readonly memberLog: MembershipChange[] = [];
  /** Properties set once and later cleared: delta sends them as `null`, not omitted. */
  private readonly cleared = new Map<string, Set<string>>();
  private version = 0;
  private sortedCache: SimUser[] | null = null;
  /** Delta tokens issued before this time answer 410 (a "synchronization reset"). */
  syncResetAt = 0;
  /** The simulator's clock (tests move it forward to expire tokens and deleted items). */
  readonly now: () => number;

  constructor(info: SimTenantInfo, now: () => number = Date.now) {
    this.info = info;
    this.now = now;
  }

  get currentVersion(): number {
    return this.version;
  }

  private logUser(id: string) {
    this.version += 1;
    this.logVersions.push(this.version);
    this.logIds.push(id);
  }

  upsertUser(user: SimUser): void {
    const before = this.users.get(user.id)?.value ?? this.deletedUsers.get(user.id)?.value;
    if (before) this.rememberCleared(before, user);
    this.logUser(user.id);
    this.users.set(user.id, { value: user, version: this.version });
    this.removed.delete(user.id);
    this.deletedUsers.delete(user.id);
    this.sortedCache = null;
  }

  private rememberCleared(before: SimUser, after: SimUser) {
    for (const key of Object.keys(after) as (keyof SimUser)[]) {
      if (after[key] !== null || before[key] === null) continue;
      const keys = this.cleared.get(after.id) ?? new Set<string>();
      keys.add(key);
      this.cleared.set(after.id, keys);
    }
  }

  /** Whether a property of a user was ever set (delta omits those never set). */
  wasEverSet(id: string, property: keyof SimUser, value: unknown): boolean {
    return value !== null || this.cleared.get(id)?.has(property) === true;
  }

  deleteUser(id: string): boolean {
    return this.deleteUsers([id]) === 1;
  }

  /**
   * Deletes users (soft by default, as `DELETE /users/{id}` does; `permanently` also purges
   * soft-deleted ones) and their group memberships; returns how many existed.
   */
  deleteUsers(ids: readonly string[], options: { permanently?: boolean } = {}): number {
    const gone = new Set<string>();
    const now = this.now();
    for (const id of ids) {
      const live = this.users.get(id);
      if (live) {
        this.users.delete(id);
        this.logUser(id);
        gone.add(id);
        if (options.permanently) {
          this.removed.set(id, { version: this.version, reason: "deleted" });
        } else {
          this.removed.set(id, { version: this.version, reason: "changed" });
          this.deletedUsers.set(id, { value: live.value, deletedAt: now, memberOf: [] });
        }
      } else if (options.permanently && this.deletedUsers.delete(id)) {
        this.logUser(id);
        this.removed.set(id, { version: this.version, reason: "deleted" });
        gone.add(id);
      }
    }
    if (gone.size === 0) return 0;
    // One pass over the groups for the whole batch: per user it would be quadratic.
    for (const group of this.groups.values()) {
      const kept: string[] = [];
      for (const memberId of group.memberIds) {
        if (!gone.has(memberId)) {
          kept.push(memberId);
          continue;
        }
        this.deletedUsers.get(memberId)?.memberOf.push(group.id);
        this.logMembership(group.id, memberId, "user", true);
      }
      if (kept.length !== group.memberIds.length) group.memberIds = kept;
    }
    this.sortedCache = null;
    return gone.size;
  }

  /** Restores a soft-deleted user with its group memberships (`POST /directory/deletedItems/{id}/restore`). */
  restoreUser(id: string): boolean {
    const deleted = this.deletedUsers.get(id);
    if (!deleted) return false;
    this.upsertUser(deleted.value);
    for (const groupId of deleted.memberOf) this.addMember(groupId, id);
    return true;
  }

  /** Why a user id is gone (delta `@removed`), or undefined if it never was removed. */
  removalReason(id: string): RemovalReason | undefined {
    return this.removed.get(id)?.reason;
  }

  /** Ids of soft-deleted users, oldest first. */
  softDeletedIds(): string[] {
    return [...this.deletedUsers.keys()];
  }

  /** Soft-deleted users past the 30-day retention are deleted permanently. */
  purgeExpiredDeletions(): void {
    const limit = this.now() - SOFT_DELETE_RETENTION_MS;
    const expired = [...this.deletedUsers].filter(([, entry]) => entry.deletedAt <= limit);
    if (expired.length > 0) {
      this.deleteUsers(
        expired.map(([id]) => id),
        { permanently: true },
      );
    }
  }

  private logMembership(
    groupId: string,
    memberId: string,
    memberType: "user" | "group",
    removed: boolean,
  ) {
    this.version += 1;
    this.memberLog.push({ version: this.version, groupId, memberId, memberType, removed });
  }

  /** Adds a direct member (user or group) to a group; false if it already was one. */
  addMember(groupId: string, memberId: string): boolean {
    const group = this.groups.get(groupId);
    if (!group || group.memberIds.includes(memberId)) return false;
    const memberType = this.groups.has(memberId) ? "group" : "user";
    if (memberType === "user" && !this.users.has(memberId)) return false;
    group.memberIds = [...group.memberIds, memberId];
    this.logMembership(groupId, memberId, memberType, false);
    return true;
  }

  removeMember(groupId: string, memberId: string): boolean {
    const group = this.groups.get(groupId);
    if (!group?.memberIds.includes(memberId)) return false;
    group.memberIds = group.memberIds.filter((id) => id !== memberId);
    this.logMembership(groupId, memberId, this.groups.has(memberId) ? "group" : "user", true);
    return true;
  }

  /** Adds a group (empty or with members) and logs its members as added. */
  addGroup(group: SimGroup): void {
    this.groups.set(group.id, { ...group, memberIds: [] });
    for (const memberId of group.memberIds) this.addMember(group.id, memberId);
  }

  getUser(id: string): SimUser | undefined {
    return this.users.get(id)?.value;
  }

  findUserByUpn(upn: string): SimUser | undefined {
    const wanted = upn.toLowerCase();
    return this.sortedUsers().find((user) => user.userPrincipalName.toLowerCase() === wanted);
  }

  /** Every user ordered by id: the stable order paging walks. */
  sortedUsers(): SimUser[] {
    this.sortedCache ??= [...this.users.values()]
      .map((entry) => entry.value)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    return this.sortedCache;
  }

  /** Users changed or removed after `version`, each once in its current state. */
  changesSince(version: number): {
    changed: string[];
    removed: { id: string; reason: RemovalReason }[];
  } {
    const ids = new Set(this.logIds.slice(firstAfter(this.logVersions, version)));
    const changed: string[] = [];
    const removed: { id: string; reason: RemovalReason }[] = [];
    for (const id of ids) {
      if (this.users.has(id)) changed.push(id);
      else {
        const entry = this.removed.get(id);
        if (entry) removed.push({ id, reason: entry.reason });
      }
    }
    return { changed, removed };
  }

  /** Membership changes after `version`, oldest first. */
  membershipChangesSince(version: number): MembershipChange[] {
    const versions = this.memberLog.map((entry) => entry.version);
    return this.memberLog.slice(firstAfter(versions, version));
  }

  /** Users in a group or any group nested in it, each once; cycles are tolerated. */
  transitiveMembers(groupId: string): { users: SimUser[]; groups: SimGroup[] } {
    const seenGroups = new Set<string>([groupId]);
    const users = new Map<string, SimUser>();
    const nested: SimGroup[] = [];
    const queue = [groupId];
    while (queue.length > 0) {
      const group = this.groups.get(queue.shift() as string);
      for (const memberId of group?.memberIds ?? []) {
        const user = this.getUser(memberId);
        if (user) users.set(user.id, user);
        const child = this.groups.get(memberId);
        if (child && !seenGroups.has(child.id)) {
          seenGroups.add(child.id);
          nested.push(child);
          queue.push(child.id);
        }
      }
    }
    const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
    return { users: [...users.values()].sort(byId), groups: nested.sort(byId) };
  }
}

/** Every tenant the simulator hosts, keyed by tenant id (GUID) and by verified domain. */
export class SimDirectory {
  private readonly tenants = new Map<string, SimTenant>();
  /** Added to the wall clock: tests move time forward (token expiry, deleted-item retention). */
  clockOffsetMs = 0;
  readonly now = () => Date.now() + this.clockOffsetMs;

  addTenant(info: SimTenantInfo): SimTenant {
    const tenant = new SimTenant(info, this.now);
    this.tenants.set(info.id.toLowerCase(), tenant);
    return tenant;
  }

  /** Moves the simulator's clock forward. */
  advanceClock(ms: number): void {
    this.clockOffsetMs += ms;
  }

  /** Entra accepts the tenant id or a verified domain name in the authority path. */
  find(idOrDomain: string): SimTenant | undefined {
    const key = idOrDomain.toLowerCase();
    return (
      this.tenants.get(key) ??
      [...this.tenants.values()].find((tenant) => tenant.info.domain.toLowerCase() === key)
    );
  }

  list(): SimTenant[] {
    return [...this.tenants.values()];
  }
}

/** A user with every optional property unset, for building fixtures. */
export const blankUser = (id: string, userPrincipalName: string): SimUser => ({
  id,
  userPrincipalName,
  mail: null,
  givenName: null,
  surname: null,
  displayName: null,
  accountEnabled: true,
  userType: "Member",
  onPremisesSamAccountName: null,
  employeeId: null,
  department: null,
  jobTitle: null,
  mailNickname: null,
  companyName: null,
  city: null,
  country: null,
  officeLocation: null,
  mobilePhone: null,
  preferredLanguage: null,
  employeeType: null,
  state: null,
  postalCode: null,
  streetAddress: null,
  usageLocation: null,
  faxNumber: null,
  onPremisesUserPrincipalName: null,
  onPremisesDomainName: null,
  businessPhones: [],
  otherMails: [],
  proxyAddresses: [],
  createdDateTime: "2024-01-01T00:00:00Z",
});
