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

/** One Entra tenant: its own objects, change log and version counter. */
export class SimTenant {
  readonly info: SimTenantInfo;
  readonly apps = new Map<string, SimApp>();
  readonly groups = new Map<string, SimGroup>();
  private readonly users = new Map<string, Versioned<SimUser>>();
  /** Deleted user ids with the version of their deletion, for delta `@removed`. */
  private readonly removed = new Map<string, number>();
  private version = 0;
  private sortedCache: SimUser[] | null = null;

  constructor(info: SimTenantInfo) {
    this.info = info;
  }

  get currentVersion(): number {
    return this.version;
  }

  upsertUser(user: SimUser): void {
    this.version += 1;
    this.users.set(user.id, { value: user, version: this.version });
    this.removed.delete(user.id);
    this.sortedCache = null;
  }

  deleteUser(id: string): boolean {
    return this.deleteUsers([id]) === 1;
  }

  /** Deletes users and their group memberships; returns how many existed. */
  deleteUsers(ids: readonly string[]): number {
    const gone = new Set<string>();
    for (const id of ids) {
      if (!this.users.delete(id)) continue;
      this.version += 1;
      this.removed.set(id, this.version);
      gone.add(id);
    }
    if (gone.size === 0) return 0;
    // One pass over the groups for the whole batch: per user it would be quadratic.
    for (const group of this.groups.values()) {
      group.memberIds = group.memberIds.filter((memberId) => !gone.has(memberId));
    }
    this.sortedCache = null;
    return gone.size;
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

  /** Ids of users changed or removed after `version`, for a delta round. */
  changesSince(version: number): { changed: string[]; removed: string[] } {
    const changed = [...this.users.values()]
      .filter((entry) => entry.version > version)
      .map((entry) => entry.value.id);
    const removed = [...this.removed].filter(([, at]) => at > version).map(([id]) => id);
    return { changed, removed };
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

  addTenant(info: SimTenantInfo): SimTenant {
    const tenant = new SimTenant(info);
    this.tenants.set(info.id.toLowerCase(), tenant);
    return tenant;
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
