import { type Context, Hono } from "hono";
import { GraphFailure } from "../errors.ts";
import type { SimTenant } from "../model.ts";
import { decodeToken, encodeToken, parseSelect, type UserProperty } from "./odata.ts";
import {
  CAN_READ_GROUPS,
  CAN_READ_USERS,
  collection,
  type GraphEnv,
  type GraphOptions,
  requireRole,
} from "./routes.ts";

/**
 * `GET /users/delta` and `GET /groups/delta`, as these pages describe them:
 * - learn.microsoft.com/graph/delta-query-overview (rounds, `$skiptoken`/`$deltatoken` links
 *   that carry the query options inside them, replays, empty pages, `@removed` reasons,
 *   `$deltatoken=latest`, token duration, "Synchronization reset" with 410 Gone);
 * - learn.microsoft.com/graph/api/user-delta (properties never set are omitted, a property set
 *   to null comes back as null, `$filter=id eq` only);
 * - learn.microsoft.com/graph/delta-query-groups (`members@delta`, the same group on several
 *   pages with slices of its members, `$filter=id eq '…' or …` up to 50 ids);
 * - devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-for-identity-and-education-resources
 *   (directory tokens last 7 days; an expired one is 400 `syncStateNotFound`).
 */
export const TOKEN_LIFETIME_MS = 7 * 24 * 3600 * 1000;
const DEFAULT_PAGE_SIZE = 100;
const MAX_FILTER_IDS = 50;

type Kind = "users" | "groups";

/** One item a round still has to deliver: a user, or one member entry (or none) of a group. */
type Entry =
  | { kind: "user"; id: string }
  | {
      kind: "group";
      groupId: string;
      member: { id: string; type: "user" | "group"; removed: boolean } | null;
    };

type Round = {
  kind: Kind;
  entries: Entry[];
  offset: number;
  /** Every change up to this version is in `entries`; the deltaLink resumes from here. */
  version: number;
  select: string[];
  /** `$filter=id eq …` ids, or null for every object. */
  ids: string[] | null;
  /** When this round started: the age of the deltaLink it ends with. */
  issuedAt: number;
  /** Empty pages still to serve before the entries (the `emptyDeltaPages` fault). */
  emptyPagesLeft: number;
};
type SkipToken = { round: string };
type DeltaToken = {
  kind: Kind;
  version: number;
  select: string[];
  ids: string[] | null;
  tenant: string;
  issuedAt: number;
};

const GROUP_PROPERTIES = ["id", "displayName", "description", "mailNickname", "members"];

const expired = () =>
  new GraphFailure(
    400,
    "syncStateNotFound",
    "The sync state generation is not found. The delta token is expired and data must be synchronized again.",
  );

export function deltaRoutes(options: GraphOptions) {
  const app = new Hono<GraphEnv>();
  const rounds = new Map<string, Round>();

  const pageSizeOf = (c: Context<GraphEnv>) =>
    Math.min(
      999,
      Number(
        /odata\.maxpagesize=(\d+)/.exec(c.req.header("prefer") ?? "")?.[1] ?? DEFAULT_PAGE_SIZE,
      ),
    );

  /** A round from a deltaLink: validates the token, then lists what changed since it. */
  const resume = (c: Context<GraphEnv>, kind: Kind, raw: string): Round => {
    const tenant = c.get("tenant");
    if (raw === "latest") {
      // "Sync from now": no objects, just a deltaLink for the current state.
      return {
        kind,
        entries: [],
        offset: 0,
        version: tenant.currentVersion,
        select: selectOf(c, kind),
        ids: filterIds(c.req.query("$filter")),
        issuedAt: tenant.now(),
        emptyPagesLeft: 0,
      };
    }
    const token = decodeToken<DeltaToken>(raw);
    if (!token || token.kind !== kind || token.tenant !== tenant.info.id) throw expired();
    if (token.issuedAt < tenant.syncResetAt) {
      // Tenant maintenance dropped change tracking: start over from the Location.
      throw new GraphFailure(
        410,
        "resyncRequired",
        "The delta token is no longer valid, and the app must reset the sync state.",
        { location: `${c.get("origin")}/v1.0/${kind}/delta?$deltatoken=` },
      );
    }
    if (tenant.now() - token.issuedAt >= TOKEN_LIFETIME_MS) throw expired();
    // Each deltaLink is a fresh token: it lasts 7 days from this round, not from the first.
    const round: Round = {
      kind,
      entries: [],
      offset: 0,
      version: token.version,
      select: token.select,
      ids: token.ids,
      issuedAt: tenant.now(),
      emptyPagesLeft: 0,
    };
    appendChanges(tenant, round);
    return round;
  };

  /** A new round: every current object (in the filter), then whatever changes meanwhile. */
  const initial = (c: Context<GraphEnv>, kind: Kind): Round => {
    const tenant = c.get("tenant");
    const ids = filterIds(c.req.query("$filter"));
    const select = selectOf(c, kind);
    const round: Round = {
      kind,
      entries: [],
      offset: 0,
      version: tenant.currentVersion,
      select,
      ids,
      issuedAt: tenant.now(),
      emptyPagesLeft: 0,
    };
    if (kind === "users") {
      const users = ids ? ids.flatMap((id) => tenant.getUser(id) ?? []) : tenant.sortedUsers();
      round.entries = users.map((user) => ({ kind: "user", id: user.id }));
    } else {
      const wantMembers = select.includes("members");
      const groups = [...tenant.groups.values()]
        .filter((group) => !ids || ids.includes(group.id))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      for (const group of groups) {
        const members = wantMembers ? group.memberIds : [];
        if (members.length === 0)
          round.entries.push({ kind: "group", groupId: group.id, member: null });
        for (const id of members) {
          const type = tenant.groups.has(id) ? "group" : "user";
          round.entries.push({
            kind: "group",
            groupId: group.id,
            member: { id, type, removed: false },
          });
        }
      }
    }
    return round;
  };

  const handler = (kind: Kind) => (c: Context<GraphEnv>) => {
    requireRole(c.get("roles"), kind === "users" ? CAN_READ_USERS : CAN_READ_GROUPS);
    for (const option of ["$top", "$orderby", "$search", "$count"]) {
      if (c.req.query(option) !== undefined) {
        throw new GraphFailure(
          400,
          "Request_UnsupportedQuery",
          `${option} is not supported with delta.`,
        );
      }
    }
    const tenant = c.get("tenant");
    tenant.purgeExpiredDeletions();
    const skipRaw = c.req.query("$skiptoken");
    const deltaRaw = c.req.query("$deltatoken");
    let roundId: string;
    if (skipRaw !== undefined) {
      const token = decodeToken<SkipToken>(skipRaw);
      if (!token || rounds.get(token.round)?.kind !== kind) throw expired();
      roundId = token.round;
    } else {
      roundId = crypto.randomUUID();
      const round = deltaRaw !== undefined ? resume(c, kind, deltaRaw) : initial(c, kind);
      round.emptyPagesLeft = options.faults().emptyDeltaPages ?? 0;
      rounds.set(roundId, round);
    }
    const round = rounds.get(roundId) as Round;
    // Objects that change while a round is paged are delivered again later in the same round.
    appendChanges(tenant, round);

    const origin = c.get("origin");
    const pageSize = pageSizeOf(c);
    let value: unknown[] = [];
    if (round.emptyPagesLeft > 0) {
      // A page may be empty and still have a nextLink (the service found nothing where it looked).
      round.emptyPagesLeft -= 1;
    } else {
      const slice = round.entries.slice(round.offset, round.offset + pageSize);
      round.offset += slice.length;
      value =
        kind === "users"
          ? slice.map((entry) => userItem(tenant, entry, round.select))
          : groupItems(tenant, slice);
    }
    const context = `${origin}/v1.0/$metadata#${kind}(${round.select.join(",")})`;
    if (round.emptyPagesLeft > 0 || round.offset < round.entries.length) {
      const next = encodeToken({ round: roundId } satisfies SkipToken);
      return collection(context, value, {
        "@odata.nextLink": `${origin}/v1.0/${kind}/delta?$skiptoken=${next}`,
      });
    }
    rounds.delete(roundId);
    const delta = encodeToken({
      kind,
      version: round.version,
      select: round.select,
      ids: round.ids,
      tenant: tenant.info.id,
      issuedAt: round.issuedAt,
    } satisfies DeltaToken);
    return collection(context, value, {
      "@odata.deltaLink": `${origin}/v1.0/${kind}/delta?$deltatoken=${delta}`,
    });
  };

  app.get("/users/delta", handler("users"));
  app.get("/groups/delta", handler("groups"));
  return app;
}

/** Adds every change after the round's version to the entries still to deliver. */
function appendChanges(tenant: SimTenant, round: Round) {
  if (tenant.currentVersion === round.version) return;
  const inFilter = (id: string) => !round.ids || round.ids.includes(id);
  if (round.kind === "users") {
    const { changed, removed } = tenant.changesSince(round.version);
    for (const id of [...changed, ...removed.map((entry) => entry.id)]) {
      if (inFilter(id)) round.entries.push({ kind: "user", id });
    }
  } else if (round.select.includes("members")) {
    // The last change per (group, member) wins; a member added then removed shows as removed.
    const latest = new Map<string, Entry>();
    for (const change of tenant.membershipChangesSince(round.version)) {
      if (!inFilter(change.groupId)) continue;
      latest.set(`${change.groupId}/${change.memberId}`, {
        kind: "group",
        groupId: change.groupId,
        member: { id: change.memberId, type: change.memberType, removed: change.removed },
      });
    }
    const entries = [...latest.values()].sort((a, b) =>
      a.kind === "group" && b.kind === "group" && a.groupId < b.groupId ? -1 : 1,
    );
    round.entries.push(...entries);
  }
  round.version = tenant.currentVersion;
}

/** A user in its current state, or `@removed` with the reason it left. */
function userItem(tenant: SimTenant, entry: Entry, select: string[]) {
  const id = entry.kind === "user" ? entry.id : entry.groupId;
  const user = tenant.getUser(id);
  if (!user) return { id, "@removed": { reason: tenant.removalReason(id) ?? "deleted" } };
  return Object.fromEntries(
    (select as UserProperty[])
      .map((name) => [name, user[name]] as const)
      .filter(([name, value]) => tenant.wasEverSet(id, name, value)),
  );
}

/** Consecutive entries of one group become one group object with its slice of members. */
function groupItems(tenant: SimTenant, entries: Entry[]) {
  const items: { item: Record<string, unknown>; members: unknown[] }[] = [];
  for (const entry of entries) {
    if (entry.kind !== "group") continue;
    let current = items.at(-1);
    if (current?.item.id !== entry.groupId) {
      const group = tenant.groups.get(entry.groupId);
      current = {
        item: group
          ? { id: group.id, displayName: group.displayName, description: group.description }
          : { id: entry.groupId, "@removed": { reason: "deleted" } },
        members: [],
      };
      items.push(current);
    }
    const member = entry.member;
    if (member) {
      current.members.push({
        "@odata.type": `#microsoft.graph.${member.type}`,
        id: member.id,
        ...(member.removed ? { "@removed": { reason: "deleted" } } : {}),
      });
    }
  }
  // A group without member entries on this page omits `members@delta`.
  return items.map(({ item, members }) =>
    members.length > 0 ? { ...item, "members@delta": members } : item,
  );
}

function selectOf(c: Context<GraphEnv>, kind: Kind): string[] {
  const raw = c.req.query("$select");
  const expand = c.req.query("$expand");
  if (kind === "users") {
    if (expand !== undefined) {
      throw new GraphFailure(
        400,
        "Request_UnsupportedQuery",
        "$expand is not supported with users delta.",
      );
    }
    return parseSelect(raw);
  }
  const names = (raw ?? "id,displayName,description,members")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const selected = new Set(["id"]);
  for (const name of names) {
    const canonical = GROUP_PROPERTIES.find((known) => known.toLowerCase() === name.toLowerCase());
    if (!canonical) {
      throw new GraphFailure(
        400,
        "Request_BadRequest",
        `Could not find a property named '${name}' on type 'microsoft.graph.group'.`,
      );
    }
    selected.add(canonical);
  }
  if (expand?.toLowerCase() === "members") selected.add("members");
  else if (expand !== undefined) {
    throw new GraphFailure(
      400,
      "Request_UnsupportedQuery",
      "Only members can be expanded with groups delta.",
    );
  }
  return [...selected];
}

/** `$filter=id eq '…' or id eq '…'` (the only filter delta supports), at most 50 ids. */
function filterIds(raw: string | undefined): string[] | null {
  if (raw === undefined || raw.trim() === "") return null;
  const clauses = raw.split(/\s+or\s+/i);
  const ids = clauses.map((clause) => {
    const match = /^\s*id\s+eq\s+'([0-9a-f-]{36})'\s*$/i.exec(clause);
    if (!match) {
      throw new GraphFailure(
        400,
        "Request_UnsupportedQuery",
        "Unsupported query: delta supports only $filter=id eq '…'.",
      );
    }
    return (match[1] as string).toLowerCase();
  });
  if (ids.length > MAX_FILTER_IDS) {
    throw new GraphFailure(
      400,
      "Request_UnsupportedQuery",
      `At most ${MAX_FILTER_IDS} ids can be filtered.`,
    );
  }
  return ids;
}
