import type { KeyObject } from "node:crypto";

/**
 * A Google Workspace as the Admin SDK Directory API describes it
 * (developers.google.com/workspace/admin/directory/reference/rest/v1/users,
 * …/rest/v1/groups, …/rest/v1/members). Optional fields are left out, not set to null:
 * Google omits empty fields from its JSON.
 */
export type SimGoogleUser = {
  id: string;
  primaryEmail: string;
  name?: { givenName?: string; familyName?: string; fullName?: string };
  isAdmin: boolean;
  suspended: boolean;
  archived: boolean;
  orgUnitPath: string;
  creationTime: string;
  aliases?: string[];
  externalIds?: { value: string; type: string; customType?: string }[];
  organizations?: { title?: string; department?: string; primary?: boolean }[];
  customSchemas?: Record<string, Record<string, unknown>>;
  /** Test knob: what Sign in with Google says of the address (Workspace accounts: true). */
  emailVerified?: boolean;
};

/** Member types: developers.google.com/workspace/admin/directory/reference/rest/v1/members. */
export type SimMember = {
  id?: string;
  email: string;
  role: "OWNER" | "MANAGER" | "MEMBER";
  type: "USER" | "GROUP" | "CUSTOMER" | "EXTERNAL";
  status?: "ACTIVE" | "SUSPENDED" | "UNDEFINED";
};

export type SimGroup = {
  id: string;
  email: string;
  name: string;
  description: string;
  members: SimMember[];
};

/** A service account key as Google Cloud downloads it (only the public half is kept here). */
export type SimServiceAccount = {
  clientEmail: string;
  /** The OAuth client id domain-wide delegation is granted to (Admin console → API controls). */
  clientId: string;
  publicKey: KeyObject;
};

/** A Web OAuth client for Sign in with Google. Internal clients admit only the org's users. */
export type SimOAuthClient = {
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  internal: boolean;
};

/** A Google account that is not part of a Workspace (gmail.com and the like): no `hd`. */
export type SimConsumerAccount = {
  sub: string;
  email: string;
  emailVerified: boolean;
  name: string;
};

export class SimWorkspace {
  readonly users = new Map<string, SimGoogleUser>();
  readonly groups = new Map<string, SimGroup>();
  /** Domain-wide delegation: OAuth client id → the scopes granted to it. */
  readonly delegations = new Map<string, string[]>();
  readonly oauthClients = new Map<string, SimOAuthClient>();
  readonly orgUnits = new Set<string>(["/"]);
  private byEmail = new Map<string, string>();
  private sorted: SimGoogleUser[] | null = null;

  constructor(
    readonly customerId: string,
    readonly primaryDomain: string,
    readonly domains: string[] = [primaryDomain],
  ) {}

  upsertUser(user: SimGoogleUser): void {
    const previous = this.users.get(user.id);
    if (previous) this.forgetEmails(previous);
    this.users.set(user.id, user);
    for (const email of [user.primaryEmail, ...(user.aliases ?? [])]) {
      this.byEmail.set(email.toLowerCase(), user.id);
    }
    this.orgUnits.add(user.orgUnitPath);
    this.sorted = null;
  }

  deleteUser(id: string): void {
    const user = this.users.get(id);
    if (!user) return;
    this.forgetEmails(user);
    this.users.delete(id);
    this.sorted = null;
    for (const group of this.groups.values()) {
      group.members = group.members.filter((member) => member.id !== id);
    }
  }

  private forgetEmails(user: SimGoogleUser) {
    for (const email of [user.primaryEmail, ...(user.aliases ?? [])]) {
      this.byEmail.delete(email.toLowerCase());
    }
  }

  /** `userKey`: "the user's primary email address, alias email address, or unique user ID". */
  findUser(key: string): SimGoogleUser | undefined {
    return this.users.get(key) ?? this.users.get(this.byEmail.get(key.toLowerCase()) ?? "");
  }

  /** `groupKey`: "the group's email address, group alias, or the unique group ID". */
  findGroup(key: string): SimGroup | undefined {
    const direct = this.groups.get(key);
    if (direct) return direct;
    const lower = key.toLowerCase();
    for (const group of this.groups.values()) if (group.email.toLowerCase() === lower) return group;
    return undefined;
  }

  addGroup(group: SimGroup): void {
    this.groups.set(group.id, group);
  }

  /** Users ordered by primary email, the order `users.list` returns with `orderBy=email`. */
  sortedUsers(): readonly SimGoogleUser[] {
    this.sorted ??= [...this.users.values()].sort((a, b) =>
      a.primaryEmail < b.primaryEmail ? -1 : a.primaryEmail > b.primaryEmail ? 1 : 0,
    );
    return this.sorted;
  }

  ownsDomain(email: string): boolean {
    const domain = email.split("@")[1]?.toLowerCase() ?? "";
    return this.domains.some((owned) => owned.toLowerCase() === domain);
  }
}

/** Every Workspace, service account, OAuth client and consumer account the simulator knows. */
export class SimGoogle {
  readonly workspaces = new Map<string, SimWorkspace>();
  readonly serviceAccounts = new Map<string, SimServiceAccount>();
  readonly consumers = new Map<string, SimConsumerAccount>();

  addWorkspace(workspace: SimWorkspace): SimWorkspace {
    this.workspaces.set(workspace.customerId, workspace);
    return workspace;
  }

  /** The Workspace whose domain a user's address belongs to, and the user. */
  findAccount(email: string): { workspace: SimWorkspace; user: SimGoogleUser } | undefined {
    for (const workspace of this.workspaces.values()) {
      const user = workspace.findUser(email);
      if (user) return { workspace, user };
    }
    return undefined;
  }

  findOAuthClient(
    clientId: string,
  ): { workspace: SimWorkspace; client: SimOAuthClient } | undefined {
    for (const workspace of this.workspaces.values()) {
      const client = workspace.oauthClients.get(clientId);
      if (client) return { workspace, client };
    }
    return undefined;
  }
}
