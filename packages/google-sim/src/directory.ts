import { createHash } from "node:crypto";
import { type Context, Hono } from "hono";
import {
  ApiFailure,
  badRequest,
  insufficientScopes,
  invalidCredentials,
  notAuthorized,
  notFound,
  rateLimited,
} from "./errors.ts";
import type { Faults, RequestCounts } from "./faults.ts";
import type { SimGoogle, SimGoogleUser, SimGroup, SimMember, SimWorkspace } from "./model.ts";
import type { AccessTokens } from "./tokens.ts";

const SCOPE = "https://www.googleapis.com/auth/";
/** Scopes each method accepts, from the discovery document's `scopes` (admin directory_v1). */
const USER_SCOPES = [`${SCOPE}admin.directory.user`, `${SCOPE}admin.directory.user.readonly`];
const GROUP_SCOPES = [`${SCOPE}admin.directory.group`, `${SCOPE}admin.directory.group.readonly`];
const MEMBER_SCOPES = [
  ...GROUP_SCOPES,
  `${SCOPE}admin.directory.group.member`,
  `${SCOPE}admin.directory.group.member.readonly`,
];

export type DirectoryDeps = {
  google: SimGoogle;
  tokens: AccessTokens;
  faults: () => Faults;
  counts: RequestCounts;
};

type Caller = { workspace: SimWorkspace; admin: SimGoogleUser };

const etag = (value: unknown) =>
  `"${createHash("sha1").update(JSON.stringify(value)).digest("base64url")}"`;

/**
 * The Admin SDK Directory API v1 (developers.google.com/workspace/admin/directory/reference/rest):
 * `users.list`, `users.get`, `groups.get`, `members.list`, for a delegated administrator.
 */
export function directoryRoutes(deps: DirectoryDeps) {
  const app = new Hono();
  let served = 0;

  app.use("/admin/directory/v1/*", async (c, next) => {
    const faults = deps.faults();
    served += 1;
    deps.counts.api += 1;
    const route = c.req.path.replace(/\/(users|groups)\/[^/]+/g, "/$1/:key");
    deps.counts.byRoute[route] = (deps.counts.byRoute[route] ?? 0) + 1;
    if (faults.latencyMs) await Bun.sleep(faults.latencyMs);
    if (faults.rateLimit && faults.rateLimit.count > 0) {
      faults.rateLimit.count -= 1;
      deps.counts.rateLimited += 1;
      return rateLimited(faults.rateLimit.reason ?? "userRateLimitExceeded").toResponse();
    }
    if (faults.rateLimitEvery && served % faults.rateLimitEvery.every === 0) {
      deps.counts.rateLimited += 1;
      return rateLimited(faults.rateLimitEvery.reason ?? "userRateLimitExceeded").toResponse();
    }
    if (faults.fail && faults.fail.count > 0) {
      faults.fail.count -= 1;
      deps.counts.failed += 1;
      return new ApiFailure(faults.fail.status, "backendError", "Backend Error").toResponse();
    }
    await next();
  });

  const handle =
    (scopes: string[], handler: (c: Context, caller: Caller) => unknown) => async (c: Context) => {
      try {
        const caller = authorize(deps, c.req.header("authorization"), scopes);
        return c.json(await handler(c, caller));
      } catch (error) {
        if (error instanceof ApiFailure) {
          if (error.status >= 500) deps.counts.failed += 1;
          return error.toResponse();
        }
        throw error;
      }
    };

  /** Listing pages from `failFromPage` on answer 503 (the first page is page 1). */
  const checkPage = (page: number) => {
    const from = deps.faults().failFromPage;
    if (from !== undefined && page >= from) {
      throw new ApiFailure(503, "backendError", "The service is currently unavailable.");
    }
  };

  app.get(
    "/admin/directory/v1/users",
    handle(USER_SCOPES, (c, caller) => {
      const query = c.req.query();
      const { workspace } = caller;
      const customer = query.customer;
      const domain = query.domain;
      // "Either the customer or the domain parameter must be provided" (users.list reference).
      if (!customer && !domain) throw badRequest();
      if (customer && customer !== "my_customer" && customer !== workspace.customerId) {
        throw notAuthorized();
      }
      if (domain && !workspace.domains.includes(domain.toLowerCase())) throw notAuthorized();
      const maxResults = range(query.maxResults, 100, 500);
      const projection = query.projection ?? "basic";
      if (!["basic", "full", "custom"].includes(projection)) {
        throw badRequest(`Invalid value for: projection`, "invalid");
      }
      if (projection === "custom" && !query.customFieldMask) throw badRequest();
      const filter = parseQuery(query.query ?? "", workspace);
      const matching = workspace
        .sortedUsers()
        .filter(
          (user) =>
            filter(user) &&
            (!domain || user.primaryEmail.toLowerCase().endsWith(`@${domain.toLowerCase()}`)),
        );
      const fingerprint = etag([customer, domain, query.query, projection, query.orderBy]);
      const { offset, page } = readPageToken(query.pageToken, fingerprint);
      checkPage(page);
      const slice = matching.slice(offset, offset + maxResults);
      const schemas =
        projection === "full"
          ? null
          : projection === "custom"
            ? new Set((query.customFieldMask ?? "").split(","))
            : new Set<string>();
      const users = slice.map((user) => userResource(workspace, user, schemas));
      const next = offset + maxResults < matching.length;
      return {
        kind: "admin#directory#users",
        etag: etag([fingerprint, offset]),
        ...(users.length > 0 ? { users } : {}),
        ...(next ? { nextPageToken: pageToken(offset + maxResults, page + 1, fingerprint) } : {}),
      };
    }),
  );

  app.get(
    "/admin/directory/v1/users/:userKey",
    handle(USER_SCOPES, (c, { workspace }) => {
      const user = workspace.findUser(decodeURIComponent(c.req.param("userKey") ?? ""));
      if (!user) throw notFound("userKey");
      const projection = c.req.query("projection") ?? "basic";
      return userResource(workspace, user, projection === "full" ? null : new Set());
    }),
  );

  /**
   * `groups.list` (developers.google.com/workspace/admin/directory/reference/rest/v1/groups/list)
   * with `query` as developers.google.com/workspace/admin/directory/v1/guides/search-groups
   * describes it: `name` and `email` clauses, `=` exact or `:{PREFIX}*`, joined by AND;
   * `customer` or `domain` required; at most 200 a page; ordered by email.
   */
  app.get(
    "/admin/directory/v1/groups",
    handle(GROUP_SCOPES, (c, { workspace }) => {
      const query = c.req.query();
      if (!query.customer && !query.domain) throw badRequest();
      if (
        query.customer &&
        query.customer !== "my_customer" &&
        query.customer !== workspace.customerId
      ) {
        throw notAuthorized();
      }
      const maxResults = range(query.maxResults, 200, 200);
      const filter = parseGroupQuery(query.query ?? "");
      const matching = [...workspace.groups.values()]
        .filter(filter)
        .sort((a, b) => (a.email < b.email ? -1 : 1));
      const fingerprint = etag(["groups", query.customer, query.domain, query.query]);
      const { offset, page } = readPageToken(query.pageToken, fingerprint);
      checkPage(page);
      const groups = matching.slice(offset, offset + maxResults).map(groupResource);
      const next = offset + maxResults < matching.length;
      return {
        kind: "admin#directory#groups",
        etag: etag([fingerprint, offset]),
        ...(groups.length > 0 ? { groups } : {}),
        ...(next ? { nextPageToken: pageToken(offset + maxResults, page + 1, fingerprint) } : {}),
      };
    }),
  );

  /**
   * `members.hasMember`: direct or nested membership of a user in a group
   * (developers.google.com/workspace/admin/directory/reference/rest/v1/members/hasMember).
   */
  app.get(
    "/admin/directory/v1/groups/:groupKey/hasMember/:memberKey",
    handle(MEMBER_SCOPES, (c, { workspace }) => {
      const group = workspace.findGroup(decodeURIComponent(c.req.param("groupKey") ?? ""));
      if (!group) throw notFound("groupKey");
      const user = workspace.findUser(decodeURIComponent(c.req.param("memberKey") ?? ""));
      if (!user) throw notFound("memberKey");
      const isMember = derivedMembers(workspace, group).some(
        (member) =>
          member.id === user.id || member.email.toLowerCase() === user.primaryEmail.toLowerCase(),
      );
      return { isMember };
    }),
  );

  app.get(
    "/admin/directory/v1/groups/:groupKey",
    handle(GROUP_SCOPES, (c, { workspace }) => {
      const group = workspace.findGroup(decodeURIComponent(c.req.param("groupKey") ?? ""));
      if (!group) throw notFound("groupKey");
      return groupResource(group);
    }),
  );

  app.get(
    "/admin/directory/v1/groups/:groupKey/members",
    handle(MEMBER_SCOPES, (c, { workspace }) => {
      const key = decodeURIComponent(c.req.param("groupKey") ?? "");
      const group = workspace.findGroup(key);
      if (!group) throw notFound("groupKey");
      const query = c.req.query();
      const maxResults = range(query.maxResults, 200, 200);
      const roles = query.roles ? new Set(query.roles.split(",")) : null;
      const all = (
        query.includeDerivedMembership === "true" ? derivedMembers(workspace, group) : group.members
      ).filter((member) => !roles || roles.has(member.role));
      const fingerprint = etag([group.id, query.roles, query.includeDerivedMembership]);
      const { offset, page } = readPageToken(query.pageToken, fingerprint);
      checkPage(page);
      const members = all.slice(offset, offset + maxResults).map(memberResource);
      const next = offset + maxResults < all.length;
      return {
        kind: "admin#directory#members",
        etag: etag([fingerprint, offset]),
        ...(members.length > 0 ? { members } : {}),
        ...(next ? { nextPageToken: pageToken(offset + maxResults, page + 1, fingerprint) } : {}),
      };
    }),
  );

  return app;
}

function authorize(deps: DirectoryDeps, header: string | undefined, scopes: string[]): Caller {
  const token = header?.startsWith("Bearer ") ? header.slice(7) : "";
  const grant = deps.tokens.find(token);
  if (!grant) throw invalidCredentials();
  if (!grant.scopes.some((scope) => scopes.includes(scope))) throw insufficientScopes();
  // A service account acting as itself, or a plain user, is not a Workspace administrator.
  if (grant.kind !== "delegation") throw notAuthorized();
  const workspace = deps.google.workspaces.get(grant.customerId);
  const admin = workspace?.users.get(grant.subjectId);
  if (!workspace || !admin?.isAdmin || admin.suspended) throw notAuthorized();
  return { workspace, admin };
}

function range(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > max) {
    throw badRequest(
      `Invalid value '${value}'. Values must be within the range: [1, ${max}]`,
      "invalid",
    );
  }
  return number;
}

/** Opaque page tokens that remember the query they belong to. */
function pageToken(offset: number, page: number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ o: offset, p: page, f: fingerprint })).toString("base64url");
}

function readPageToken(token: string | undefined, fingerprint: string) {
  if (!token) return { offset: 0, page: 1 };
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as {
      o: number;
      p: number;
      f: string;
    };
    if (parsed.f !== fingerprint || !Number.isInteger(parsed.o)) throw new Error("mismatch");
    return { offset: parsed.o, page: parsed.p };
  } catch {
    throw badRequest("Invalid Input: pageToken", "invalid");
  }
}

/**
 * The `query` search syntax of developers.google.com/workspace/admin/directory/v1/guides/search-users:
 * clauses separated by spaces, all of which must match. `orgUnitPath` "matches all org unit
 * chains under the target", so sub-units are included.
 */
function parseQuery(query: string, workspace: SimWorkspace): (user: SimGoogleUser) => boolean {
  const clauses = [...query.matchAll(/(\w+)\s*([=:])\s*('([^']*)'|"([^"]*)"|(\S+))/g)];
  const consumed = clauses.map((clause) => clause[0]).join("");
  if (consumed.replace(/\s/g, "").length !== query.replace(/\s/g, "").length) {
    throw badRequest("Invalid Input", "invalid");
  }
  const tests = clauses.map((clause) => {
    const field = clause[1] ?? "";
    const value = clause[4] ?? clause[5] ?? clause[6] ?? "";
    switch (field) {
      case "isSuspended":
        return (user: SimGoogleUser) => String(user.suspended) === value.toLowerCase();
      case "isArchived":
        return (user: SimGoogleUser) => String(user.archived) === value.toLowerCase();
      case "isAdmin":
        return (user: SimGoogleUser) => String(user.isAdmin) === value.toLowerCase();
      case "email":
        return (user: SimGoogleUser) => user.primaryEmail.toLowerCase() === value.toLowerCase();
      case "orgUnitPath": {
        const path = value === "/" ? "/" : value.replace(/\/$/, "");
        // An org unit that does not exist is refused (INVALID_OU_ID, as Google words it for users.insert).
        if (![...workspace.orgUnits].some((unit) => unit === path || unit.startsWith(`${path}/`))) {
          throw badRequest("Invalid Input: INVALID_OU_ID", "invalid");
        }
        return (user: SimGoogleUser) =>
          path === "/" || user.orgUnitPath === path || user.orgUnitPath.startsWith(`${path}/`);
      }
      default:
        throw badRequest(`Invalid Input: ${field}`, "invalid");
    }
  });
  return (user) => tests.every((test) => test(user));
}

function userResource(
  workspace: SimWorkspace,
  user: SimGoogleUser,
  /** null: every custom schema (projection=full); otherwise the schemas asked for. */
  schemas: Set<string> | null,
) {
  const name = user.name ?? {};
  const fullName =
    name.fullName ?? ([name.givenName, name.familyName].filter(Boolean).join(" ") || undefined);
  const customSchemas = user.customSchemas
    ? Object.fromEntries(
        Object.entries(user.customSchemas).filter(([schema]) => !schemas || schemas.has(schema)),
      )
    : undefined;
  return {
    kind: "admin#directory#user",
    id: user.id,
    etag: etag(user),
    primaryEmail: user.primaryEmail,
    name: {
      ...(name.givenName ? { givenName: name.givenName } : {}),
      ...(name.familyName ? { familyName: name.familyName } : {}),
      ...(fullName ? { fullName } : {}),
    },
    isAdmin: user.isAdmin,
    isDelegatedAdmin: false,
    lastLoginTime: "1970-01-01T00:00:00.000Z",
    creationTime: user.creationTime,
    agreedToTerms: true,
    suspended: user.suspended,
    ...(user.suspended ? { suspensionReason: "ADMIN" } : {}),
    archived: user.archived,
    changePasswordAtNextLogin: false,
    ipWhitelisted: false,
    emails: [
      { address: user.primaryEmail, primary: true },
      ...(user.aliases ?? []).map((address) => ({ address })),
    ],
    ...(user.aliases?.length ? { aliases: user.aliases } : {}),
    nonEditableAliases: [
      `${user.primaryEmail.split("@")[0]}@${workspace.primaryDomain}.test-google-a.com`,
    ],
    ...(user.externalIds?.length ? { externalIds: user.externalIds } : {}),
    ...(user.organizations?.length ? { organizations: user.organizations } : {}),
    customerId: workspace.customerId,
    orgUnitPath: user.orgUnitPath,
    isMailboxSetup: true,
    isEnrolledIn2Sv: false,
    isEnforcedIn2Sv: false,
    includeInGlobalAddressList: true,
    ...(customSchemas && Object.keys(customSchemas).length > 0 ? { customSchemas } : {}),
  };
}

/** A `groups.list` query: `name`/`email` clauses with `=` (exact) or `:prefix*`, all of them. */
function parseGroupQuery(query: string): (group: SimGroup) => boolean {
  const clause = /(\w+)\s*([=:])\s*('((?:[^'\\]|\\.)*)'|(\S+))/g;
  const clauses = [...query.matchAll(clause)];
  const consumed = clauses.map((match) => match[0]).join("");
  if (consumed.replace(/\s/g, "").length !== query.replace(/\s/g, "").length) {
    throw badRequest("Invalid query", "invalid");
  }
  const tests = clauses.map((match) => {
    const field = match[1] ?? "";
    const operator = match[2];
    const raw = (match[4] ?? match[5] ?? "").replace(/\\(.)/g, "$1");
    if (field !== "name" && field !== "email") throw badRequest("Invalid query", "invalid");
    const read = (group: SimGroup) => (field === "name" ? group.name : group.email).toLowerCase();
    if (operator === "=") return (group: SimGroup) => read(group) === raw.toLowerCase();
    // `:` is only a prefix match, written with a trailing `*`.
    if (!raw.endsWith("*")) throw badRequest("Invalid query", "invalid");
    const prefix = raw.slice(0, -1).toLowerCase();
    return (group: SimGroup) => read(group).startsWith(prefix);
  });
  return (group) => tests.every((test) => test(group));
}

function groupResource(group: SimGroup) {
  return {
    kind: "admin#directory#group",
    id: group.id,
    etag: etag(group.id),
    email: group.email,
    name: group.name,
    directMembersCount: String(group.members.length),
    description: group.description,
    adminCreated: true,
  };
}

function memberResource(member: SimMember) {
  return {
    kind: "admin#directory#member",
    etag: etag(member),
    ...(member.id ? { id: member.id } : {}),
    ...(member.type !== "CUSTOMER" ? { email: member.email } : {}),
    role: member.role,
    type: member.type,
    ...(member.status ? { status: member.status } : {}),
  };
}

/** `includeDerivedMembership=true`: direct members plus the users of nested groups, each once. */
function derivedMembers(workspace: SimWorkspace, root: SimGroup): SimMember[] {
  const seen = new Set<string>();
  const visited = new Set<string>();
  const out: SimMember[] = [];
  const walk = (group: SimGroup) => {
    if (visited.has(group.id)) return;
    visited.add(group.id);
    for (const member of group.members) {
      const key = member.id ?? member.email;
      if (!seen.has(key)) {
        seen.add(key);
        out.push(member);
      }
      if (member.type === "GROUP") {
        const nested = workspace.findGroup(member.id ?? member.email);
        if (nested) walk(nested);
      }
    }
  };
  walk(root);
  return out;
}
