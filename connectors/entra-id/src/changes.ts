import {
  type ChangeStream,
  ConnectorError,
  type DirectoryChanges,
  type DirectoryRemoval,
  type DirectoryUser,
  type ReadInput,
  type RemovalReason,
  ResyncRequiredError,
} from "@roster/connector-kit";
import {
  type CursorState,
  type GroupBatch,
  type GroupNode,
  openCursor,
  sealCursor,
} from "./cursor.ts";
import { type GraphUser, getWithRetries, type PageReader, toDirectoryUser } from "./read.ts";
import type { EntraSettings } from "./settings.ts";

/** Pages handed to the engine: the size of a Graph page. */
const CHANGE_PAGE = 999;
/** Graph delta accepts `$filter=id eq …` with up to 50 ids (learn.microsoft.com/graph/delta-query-groups). */
const GROUP_FILTER_IDS = 50;
/**
 * Users fetched by id per request with `$filter=id in (…)`: 15 values, the documented
 * limit of `in` on directory objects (learn.microsoft.com/graph/filter-query-parameter).
 */
const USERS_BY_ID = 15;

export type ChangeDeps = {
  reader(input: ReadInput<EntraSettings>, permission: "user" | "group"): PageReader;
  /** The complete read of the scope (`readUsers`). */
  readUsers(input: ReadInput<EntraSettings>): AsyncIterable<DirectoryUser[]>;
  /** `$select` for the requested fields. */
  select(fields: readonly string[]): string;
};

type DeltaUser = GraphUser & { "@removed"?: { reason?: string } };
type MemberEntry = { "@odata.type"?: string; id: string; "@removed"?: { reason?: string } };
type DeltaGroup = {
  id: string;
  "@removed"?: { reason?: string };
  "members@delta"?: MemberEntry[];
};

/** A user's latest state in a round, or why it went. */
type UserChange = { user: DirectoryUser } | { removed: RemovalReason };

const scopeOf = (settings: EntraSettings) =>
  settings.users === "all" || settings.groups.mode === "none"
    ? { scope: "all" as const }
    : { scope: "groups" as const, selected: [...settings.groups.ids].sort() };

/**
 * `readChanges` for Entra ID (contract in connector-kit `changes.ts`), through Graph delta
 * query (learn.microsoft.com/graph/delta-query-overview, /graph/api/user-delta,
 * /graph/delta-query-groups). All users: `users/delta`. Selected groups: `groups/delta` over
 * the selected groups and every group nested in them, with `members@delta` (direct
 * memberships) applied to the tree in the cursor, plus `users/delta` for property changes.
 */
export function entraChanges(deps: ChangeDeps) {
  return async function* readChanges(
    input: ReadInput<EntraSettings>,
    cursor: string | null,
  ): ChangeStream {
    const select = deps.select(input.fields);
    const scope = scopeOf(input.settings);
    const userReader = deps.reader(input, "user");
    const groupReader = deps.reader(input, "group");
    const startedAt = Date.now();

    if (cursor === null) {
      // Take the tokens first: whatever changes during the full read shows up next time too.
      const users = await latestUsersLink(userReader, select);
      let groupState: { batches: GroupBatch[]; tree: Record<string, GroupNode> } | null = null;
      if (scope.scope === "groups") {
        const tree: Record<string, GroupNode> = {};
        const batches = await trackGroups(groupReader, tree, scope.selected);
        await trackNested(groupReader, tree, batches, scope.selected);
        groupState = { batches, tree };
      }
      for await (const page of deps.readUsers(input)) yield { upserted: page, removed: [] };
      const state: CursorState =
        scope.scope === "all" || !groupState
          ? { v: 1, scope: "all", select, users, issuedAt: startedAt }
          : { v: 1, ...scope, ...groupState, select, users, issuedAt: startedAt };
      return { cursor: sealCursor(state), issuedAt: new Date(startedAt) };
    }

    const state = openCursor(cursor);
    const sameScope =
      state.select === select &&
      state.scope === scope.scope &&
      (state.scope !== "groups" ||
        (scope.scope === "groups" && state.selected.join(",") === scope.selected.join(",")));
    if (!sameScope) {
      throw new ResyncRequiredError(
        "scope_changed",
        "The change cursor was made for other settings; every user is read again.",
      );
    }

    let changes: Map<string, UserChange>;
    let next: CursorState;
    if (state.scope === "all") {
      const round = await userRound(userReader, state.users, input.fields);
      changes = round.changes;
      next = { ...state, users: round.link, issuedAt: startedAt };
    } else {
      const tree = state.tree;
      const before = transitiveUsers(tree, state.selected);
      const batches: GroupBatch[] = [];
      for (const batch of state.batches) {
        const link = await groupRound(groupReader, batch.link, tree, state.selected);
        batches.push({ ids: batch.ids, link });
      }
      await trackNested(groupReader, tree, batches, state.selected);
      const after = transitiveUsers(tree, state.selected);
      const round = await userRound(userReader, state.users, input.fields);
      changes = scopedChanges(round.changes, before, after);
      const missing = [...after].filter((id) => !before.has(id) && !changes.has(id));
      for (const user of await usersById(userReader, missing, select, input.fields)) {
        changes.set(user.externalId, { user });
      }
      next = { ...state, batches, tree, users: round.link, issuedAt: startedAt };
    }

    let page: DirectoryChanges = { upserted: [], removed: [] };
    for (const [externalId, change] of changes) {
      if ("user" in change) page.upserted.push(change.user);
      else page.removed.push({ externalId, reason: change.removed } satisfies DirectoryRemoval);
      if (page.upserted.length + page.removed.length >= CHANGE_PAGE) {
        yield page;
        page = { upserted: [], removed: [] };
      }
    }
    if (page.upserted.length + page.removed.length > 0) yield page;
    return { cursor: sealCursor(next), issuedAt: new Date(startedAt) };
  };
}

/**
 * Follows one delta round from `link` (a nextLink chain ending in a deltaLink), page by page.
 * Query options went on the first request only; later links carry them inside the token.
 */
async function followRound<T>(
  reader: PageReader,
  link: string,
  onPage: (items: T[]) => void,
): Promise<string> {
  let url = link;
  for (let page = 1; ; page += 1) {
    if (reader.signal?.aborted) throw new ConnectorError("aborted", "The read was stopped.");
    const body = await getWithRetries<T>(reader, url, {}, page);
    onPage(body.value ?? []);
    const deltaLink = body["@odata.deltaLink"];
    if (deltaLink) return deltaLink;
    const nextLink = body["@odata.nextLink"];
    if (!nextLink) {
      throw new ConnectorError(
        "read_failed",
        "A Microsoft Graph delta page had neither a nextLink nor a deltaLink.",
      );
    }
    // An empty page with a nextLink is normal: keep following.
    url = nextLink;
  }
}

/** "Sync from now": a deltaLink for the current state without reading anything. */
const latestUsersLink = (reader: PageReader, select: string) =>
  followRound(reader, `/users/delta?$select=${select}&$deltatoken=latest`, () => {});

/** A users/delta round: each user's last state in the round (replays merged by id). */
async function userRound(reader: PageReader, link: string, fields: readonly string[]) {
  const changes = new Map<string, UserChange>();
  const next = await followRound<DeltaUser>(reader, link, (items) => {
    for (const item of items) {
      // Delete first so the map's order is the order of the last occurrence.
      changes.delete(item.id);
      const removed = item["@removed"];
      if (removed)
        changes.set(item.id, { removed: removed.reason === "changed" ? "changed" : "deleted" });
      // Absent properties were never set: they are null, exactly as a full read returns them.
      else changes.set(item.id, { user: toDirectoryUser(item, fields) });
    }
  });
  return { changes, link: next };
}

/** The users/delta changes that matter to a selected-groups scope, plus users that left it. */
function scopedChanges(
  all: Map<string, UserChange>,
  before: Set<string>,
  after: Set<string>,
): Map<string, UserChange> {
  const scoped = new Map<string, UserChange>();
  for (const [id, change] of all) {
    if ("user" in change ? after.has(id) : before.has(id) || after.has(id)) scoped.set(id, change);
  }
  for (const id of before) {
    if (!after.has(id) && !scoped.has(id)) scoped.set(id, { removed: "left_scope" });
  }
  return scoped;
}

const groupsRequest = (ids: readonly string[]) => {
  const filter = ids.map((id) => `id eq '${id}'`).join(" or ");
  return `/groups/delta?$filter=${encodeURIComponent(filter)}&$select=id,displayName,members`;
};

/** Applies one groups/delta round to the tree; returns its deltaLink. */
async function groupRound(
  reader: PageReader,
  link: string,
  tree: Record<string, GroupNode>,
  selected: readonly string[],
): Promise<string> {
  return followRound<DeltaGroup>(reader, link, (groups) => {
    for (const group of groups) {
      if (group["@removed"]) {
        if (selected.includes(group.id)) {
          throw new ConnectorError(
            "group_not_found",
            `The group ${group.id} no longer exists in the directory.`,
            { ids: [group.id] },
          );
        }
        tree[group.id] = { users: [], groups: [] };
        continue;
      }
      // The same group may come on several pages, each with a slice of its members.
      const node = tree[group.id] ?? { users: [], groups: [] };
      tree[group.id] = node;
      const users = new Set(node.users);
      const nested = new Set(node.groups);
      for (const member of group["members@delta"] ?? []) {
        const isGroup = member["@odata.type"] === "#microsoft.graph.group";
        const target = isGroup ? nested : users;
        if (member["@removed"]) target.delete(member.id);
        else if (isGroup || member["@odata.type"] === "#microsoft.graph.user")
          target.add(member.id);
      }
      node.users = [...users];
      node.groups = [...nested];
    }
  });
}

/** Starts tracking groups: initial rounds (full direct membership), 50 ids a query. */
async function trackGroups(
  reader: PageReader,
  tree: Record<string, GroupNode>,
  ids: readonly string[],
): Promise<GroupBatch[]> {
  const batches: GroupBatch[] = [];
  for (let start = 0; start < ids.length; start += GROUP_FILTER_IDS) {
    const batch = ids.slice(start, start + GROUP_FILTER_IDS);
    for (const id of batch) tree[id] = { users: [], groups: [] };
    const link = await groupRound(reader, groupsRequest(batch), tree, []);
    batches.push({ ids: batch, link });
  }
  return batches;
}

/**
 * Tracks every group reachable from the selected ones that is not tracked yet (a group
 * nested since the last round pulls its members in). Groups that left the tree stay
 * tracked: their deltas keep the tree right if they are nested again.
 */
async function trackNested(
  reader: PageReader,
  tree: Record<string, GroupNode>,
  batches: GroupBatch[],
  selected: readonly string[],
): Promise<void> {
  for (;;) {
    const untracked = [...reachableGroups(tree, selected)].filter((id) => !tree[id]);
    if (untracked.length === 0) return;
    batches.push(...(await trackGroups(reader, tree, untracked)));
  }
}

function reachableGroups(
  tree: Record<string, GroupNode>,
  selected: readonly string[],
): Set<string> {
  const seen = new Set<string>(selected);
  const queue = [...selected];
  while (queue.length > 0) {
    for (const child of tree[queue.pop() as string]?.groups ?? []) {
      if (!seen.has(child)) {
        seen.add(child);
        queue.push(child);
      }
    }
  }
  return seen;
}

/** Users in the selected groups or any group nested in them (cycles tolerated). */
function transitiveUsers(
  tree: Record<string, GroupNode>,
  selected: readonly string[],
): Set<string> {
  const users = new Set<string>();
  for (const groupId of reachableGroups(tree, selected)) {
    for (const id of tree[groupId]?.users ?? []) users.add(id);
  }
  return users;
}

/** Full objects of users that entered the scope without a property change. */
async function usersById(
  reader: PageReader,
  ids: readonly string[],
  select: string,
  fields: readonly string[],
): Promise<DirectoryUser[]> {
  const users: DirectoryUser[] = [];
  for (let start = 0; start < ids.length; start += USERS_BY_ID) {
    const list = ids
      .slice(start, start + USERS_BY_ID)
      .map((id) => `'${id}'`)
      .join(",");
    const filter = encodeURIComponent(`id in (${list})`);
    const page = await getWithRetries(reader, `/users?$filter=${filter}&$select=${select}`, {}, 1);
    for (const user of page.value) users.push(toDirectoryUser(user, fields));
  }
  return users;
}
