import { useEffect, useState } from "hono/jsx/dom";
import { api, type Connection, type Page, when } from "../api.ts";
import { useProvision } from "./provision.tsx";

type User = {
  id: string;
  email: string;
  firstName: string;
  lastName: string;
  aliases: string[];
  tags: string[];
  roles: string[];
  signIn: string;
  connectionId: string | null;
  externalId: string | null;
  createdAt: string;
  deletedAt: string | null;
};
type Group = { id: string; name: string; memberCount: number; updatedAt: string };

const PAGE = 50;
const SIGN_IN_LABEL: Record<string, string> = {
  password: "Password",
  microsoft: "Microsoft",
  google: "Google",
};

/** The list's state, kept in the URL (`#/users?query=…&sort=…&cursor=…`) so a reload or a link keeps it. */
type ListState = {
  query: string;
  tag: string;
  source: string;
  signIn: string;
  deleted: string;
  sort: string;
  order: string;
  cursor: string;
  page: number;
};

const readState = (): ListState => {
  const params = new URLSearchParams(location.hash.split("?")[1] ?? "");
  return {
    query: params.get("query") ?? "",
    tag: params.get("tag") ?? "",
    source: params.get("source") ?? "",
    signIn: params.get("signIn") ?? "",
    deleted: params.get("deleted") ?? "exclude",
    sort: params.get("sort") ?? "created",
    order: params.get("order") ?? "asc",
    cursor: params.get("cursor") ?? "",
    page: Number(params.get("page") ?? "1") || 1,
  };
};

const writeState = (state: ListState) => {
  const params = new URLSearchParams();
  if (state.query) params.set("query", state.query);
  if (state.tag) params.set("tag", state.tag);
  if (state.source) params.set("source", state.source);
  if (state.signIn) params.set("signIn", state.signIn);
  if (state.deleted !== "exclude") params.set("deleted", state.deleted);
  if (state.sort !== "created") params.set("sort", state.sort);
  if (state.order !== "asc") params.set("order", state.order);
  if (state.cursor) {
    params.set("cursor", state.cursor);
    params.set("page", String(state.page));
  }
  const text = params.toString();
  // replaceState: no hashchange, so the page is not rebuilt on every keystroke.
  history.replaceState(null, "", `#/users${text ? `?${text}` : ""}`);
};

/** Users: total, search, filters, sorting, paging, where each user comes from. */
export function UsersPage({ canSync }: { canSync: boolean }) {
  const [state, setState] = useState<ListState>(readState);
  const [typed, setTyped] = useState(state.query);
  const [previous, setPrevious] = useState<string[]>([]);
  const [page, setPage] = useState<(Page<User> & { total: number }) | null>(null);
  const [sources, setSources] = useState<Connection[]>([]);

  useEffect(() => {
    if (!canSync) return;
    void api<Page<Connection>>("GET", "/api/user-sync/connections?limit=100")
      .then((list) => setSources(list.items))
      .catch(() => {});
  }, []);

  const change = (next: Partial<ListState>, keepPage = false) => {
    const merged = { ...state, ...next, ...(keepPage ? {} : { cursor: "", page: 1 }) };
    if (!keepPage) setPrevious([]);
    setState(merged);
  };

  // A soft-deleted user comes back with Restore (issue 17: deletions).
  const [reload, setReload] = useState(0);
  const [restored, setRestored] = useState<string | null>(null);
  const restore = async (user: User) => {
    await api("POST", `/api/users/${user.id}/restore`);
    setRestored(`${user.email} was restored.`);
    setReload(reload + 1);
  };

  // Search as one types, once typing pauses.
  useEffect(() => {
    if (typed === state.query) return;
    const timer = setTimeout(() => change({ query: typed }), 300);
    return () => clearTimeout(timer);
  }, [typed]);

  useEffect(() => {
    writeState(state);
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const key of ["query", "tag", "source", "signIn", "sort", "order", "cursor"] as const) {
      if (state[key]) params.set(key, state[key]);
    }
    params.set("deleted", state.deleted);
    void api<Page<User> & { total: number }>("GET", `/api/users?${params}`).then(setPage);
  }, [state, reload]);

  const sortButton = (key: string, label: string) => {
    const active = state.sort === key;
    return (
      <th
        scope="col"
        aria-sort={active ? (state.order === "asc" ? "ascending" : "descending") : "none"}
      >
        <button
          type="button"
          class="sort"
          onClick={() =>
            change({ sort: key, order: active && state.order === "asc" ? "desc" : "asc" })
          }
        >
          {label}
          <span aria-hidden="true">{active ? (state.order === "asc" ? " ▲" : " ▼") : ""}</span>
        </button>
      </th>
    );
  };

  const filtered = state.query || state.source || state.signIn || state.deleted !== "exclude";
  const sourceName = (id: string | null) =>
    id ? (sources.find((c) => c.id === id)?.name ?? "Directory") : "Application";

  return (
    <main>
      <h1>Users</h1>
      <section class="filters" aria-label="Filters">
        <div class="field">
          <label for="user-search">Search</label>
          <input
            id="user-search"
            type="search"
            placeholder="Name or email"
            value={typed}
            onInput={(event: Event) => setTyped((event.target as HTMLInputElement).value)}
          />
        </div>
        <div class="field">
          <label for="user-tag">Tag</label>
          <select
            id="user-tag"
            value={state.tag}
            onChange={(event: Event) => change({ tag: (event.target as HTMLSelectElement).value })}
          >
            <option value="">All users</option>
            <option value="AD synced">AD synced</option>
          </select>
        </div>
        <div class="field">
          <label for="user-source">Source</label>
          <select
            id="user-source"
            value={state.source}
            onChange={(event: Event) =>
              change({ source: (event.target as HTMLSelectElement).value })
            }
          >
            <option value="">All sources</option>
            <option value="application">Created in Roster</option>
            {sources.map((c) => (
              <option value={c.id}>{c.name}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="user-sign-in">Sign-in method</label>
          <select
            id="user-sign-in"
            value={state.signIn}
            onChange={(event: Event) =>
              change({ signIn: (event.target as HTMLSelectElement).value })
            }
          >
            <option value="">Any</option>
            <option value="password">Password</option>
            <option value="microsoft">Microsoft</option>
            <option value="google">Google</option>
          </select>
        </div>
        <div class="field">
          <label for="user-deleted">Deleted users</label>
          <select
            id="user-deleted"
            value={state.deleted}
            onChange={(event: Event) =>
              change({ deleted: (event.target as HTMLSelectElement).value })
            }
          >
            <option value="exclude">Hidden</option>
            <option value="include">Shown</option>
            <option value="only">Only deleted</option>
          </select>
        </div>
      </section>
      {restored ? <p class="alert ok">{restored}</p> : null}
      <p aria-live="polite" data-testid="user-total">
        {page
          ? `${page.total} user${page.total === 1 ? "" : "s"}${filtered ? (page.total === 1 ? " matches" : " match") : ""}`
          : "Loading…"}
        {page && page.total > PAGE
          ? ` · page ${state.page} of ${Math.ceil(page.total / PAGE)}`
          : ""}
      </p>
      {page && page.items.length === 0 ? (
        <div class="empty" data-testid="users-empty">
          {filtered ? (
            <>
              <p>No user matches these filters.</p>
              <button
                type="button"
                onClick={() => {
                  setTyped("");
                  change({ query: "", tag: "", source: "", signIn: "", deleted: "exclude" });
                }}
              >
                Clear the filters
              </button>
            </>
          ) : (
            <p>
              No users yet. <a href="#/sync">Connect a directory</a> to synchronize them.
            </p>
          )}
        </div>
      ) : (
        <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
          <table data-testid="users">
            <caption class="sr-only">Users</caption>
            <thead>
              <tr>
                {sortButton("name", "Name")}
                {sortButton("email", "Email")}
                <th scope="col">Aliases</th>
                <th scope="col">Source</th>
                <th scope="col">Roles</th>
                {sortButton("created", "Created")}
                {state.deleted !== "exclude" ? <th scope="col">Restore</th> : null}
              </tr>
            </thead>
            <tbody>
              {(page?.items ?? []).map((user) => (
                <tr>
                  <td>
                    <a href={`#/users/${user.id}`}>
                      {user.firstName} {user.lastName}
                    </a>
                    {user.deletedAt ? <span class="pill failed">deleted</span> : null}
                  </td>
                  <td>{user.email}</td>
                  <td>{user.aliases.join(", ")}</td>
                  <td>
                    {user.connectionId
                      ? `${sourceName(user.connectionId)} (${SIGN_IN_LABEL[user.signIn] ?? user.signIn})`
                      : "Application"}
                    {user.tags.map((t) => (
                      <span class="pill">{t}</span>
                    ))}
                  </td>
                  <td>{user.roles.join(", ")}</td>
                  <td>{new Date(user.createdAt).toLocaleDateString()}</td>
                  {state.deleted !== "exclude" ? (
                    <td>
                      {user.deletedAt ? (
                        <button type="button" onClick={() => void restore(user)}>
                          Restore
                        </button>
                      ) : null}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <div class="actions">
        <button
          type="button"
          disabled={!state.cursor}
          onClick={() => {
            const back = previous.at(-1) ?? "";
            setPrevious(previous.slice(0, -1));
            change({ cursor: back, page: Math.max(1, state.page - 1) }, true);
          }}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => {
            setPrevious([...previous, state.cursor]);
            change({ cursor: page?.nextCursor ?? "", page: state.page + 1 }, true);
          }}
        >
          Next
        </button>
      </div>
    </main>
  );
}

type History = {
  signIn: string;
  externalId: string | null;
  connection: { id: string; name: string; type: string } | null;
  connectionDeleted: boolean;
  groups: { id: string; name: string }[];
  changes: {
    runId: string;
    kind: string;
    at: string;
    trigger: string | null;
    outcome: string | null;
  }[];
};

/** One user: where it comes from, its aliases and groups, the runs that changed it, provision now. */
export function UserDetailPage({ userId, canSync }: { userId: string; canSync: boolean }) {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [history, setHistory] = useState<History | null>(null);
  const synced = history?.connection && history.externalId;
  const { provision, busy, view } = useProvision(synced ? (history?.connection?.id ?? null) : null);
  const load = () => {
    void api<User>("GET", `/api/users/${userId}`).then(setUser, () => setUser(null));
    void api<History>("GET", `/api/users/${userId}/history`).then(setHistory, () => {});
  };
  useEffect(load, [userId]);
  if (user === undefined) return <p class="muted">Loading…</p>;
  if (user === null) {
    return (
      <main>
        <h1>User not found</h1>
        <p>
          <a href="#/users">← Users</a>
        </p>
      </main>
    );
  }
  return (
    <main>
      <p>
        <a href="#/users">← Users</a>
      </p>
      <h1>
        {user.firstName} {user.lastName}
        {user.deletedAt ? <span class="pill failed">deleted</span> : null}
      </h1>
      <dl class="facts" data-testid="user-facts">
        <div>
          <dt>Email</dt>
          <dd>{user.email}</dd>
        </div>
        <div>
          <dt>Sign-in method</dt>
          <dd data-testid="user-sign-in">{SIGN_IN_LABEL[user.signIn] ?? user.signIn}</dd>
        </div>
        <div>
          <dt>Source connection</dt>
          <dd data-testid="user-source">
            {history?.connection
              ? history.connection.name
              : history?.connectionDeleted
                ? "A deleted connection"
                : "Created in Roster"}
          </dd>
        </div>
        <div>
          <dt>Directory id</dt>
          <dd class="mono" data-testid="user-external-id">
            {user.externalId ?? "—"}
          </dd>
        </div>
        <div>
          <dt>Aliases</dt>
          <dd>{user.aliases.length ? user.aliases.join(", ") : "none"}</dd>
        </div>
        <div>
          <dt>Roles</dt>
          <dd>{user.roles.join(", ") || "none"}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{when(user.createdAt)}</dd>
        </div>
        {user.deletedAt ? (
          <div>
            <dt>Deleted</dt>
            <dd>{when(user.deletedAt)}</dd>
          </div>
        ) : null}
      </dl>
      <h2>Groups</h2>
      {history && history.groups.length > 0 ? (
        <ul data-testid="user-groups">
          {history.groups.map((group) => (
            <li>
              <a href={`#/groups/${group.id}`}>{group.name}</a>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">In no synchronized group.</p>
      )}
      <h2>Runs that changed this user</h2>
      {history && history.changes.length > 0 ? (
        <ul data-testid="user-changes">
          {history.changes.map((change) => (
            <li>
              <a href={`#/runs/${change.runId}`}>{when(change.at)}</a> — {change.kind}
              {change.trigger
                ? ` (${change.trigger === "provision" ? "provision on demand" : change.trigger} run)`
                : ""}
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No run has changed this user.</p>
      )}
      {canSync && synced ? (
        <section aria-labelledby="provision-title">
          <h2 id="provision-title">Provision on demand</h2>
          <p class="muted">
            Read this user from {history?.connection?.name} now and apply the connection's rules to
            it alone.
          </p>
          <div class="actions">
            <button
              type="button"
              disabled={busy}
              onClick={() => void provision({ externalId: user.externalId as string }, true)}
            >
              Check (writes nothing)
            </button>
            <button
              type="button"
              class="primary"
              disabled={busy}
              onClick={async () => {
                await provision({ externalId: user.externalId as string }, false);
                load();
              }}
            >
              {busy ? "Working…" : "Provision now"}
            </button>
          </div>
          {view}
        </section>
      ) : null}
    </main>
  );
}

export function GroupsPage() {
  const [groups, setGroups] = useState<Group[] | null>(null);
  useEffect(() => {
    void api<Page<Group>>("GET", "/api/groups?limit=100").then((page) => setGroups(page.items));
  }, []);
  return (
    <main>
      <h1>Groups</h1>
      <p class="muted">Directory groups selected on a connection, with their nested members.</p>
      {groups && groups.length === 0 ? <p class="muted">No synchronized groups.</p> : null}
      <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
        <table>
          <caption class="sr-only">Synchronized groups</caption>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Members</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {(groups ?? []).map((g) => (
              <tr>
                <td>
                  <a href={`#/groups/${g.id}`}>{g.name}</a>
                </td>
                <td>{g.memberCount}</td>
                <td>{when(g.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}

/** A synchronized group's members (the directory group's users this Roster tenant has). */
export function GroupMembersPage({ groupId }: { groupId: string }) {
  const [members, setMembers] = useState<User[] | null | undefined>(undefined);
  const [group, setGroup] = useState<Group | null>(null);
  useEffect(() => {
    void api<Page<User>>("GET", `/api/groups/${groupId}/members?limit=500`).then(
      (page) => setMembers(page.items),
      () => setMembers(null),
    );
    void api<Page<Group>>("GET", "/api/groups?limit=500").then((page) =>
      setGroup(page.items.find((g) => g.id === groupId) ?? null),
    );
  }, [groupId]);
  if (members === undefined) return <p class="muted">Loading…</p>;
  if (members === null) {
    return (
      <main>
        <h1>Group not found</h1>
        <p>
          <a href="#/groups">← Groups</a>
        </p>
      </main>
    );
  }
  return (
    <main>
      <p>
        <a href="#/groups">← Groups</a>
      </p>
      <h1>{group?.name ?? "Group"}</h1>
      <p data-testid="member-count">
        {members.length} member{members.length === 1 ? "" : "s"}
      </p>
      {members.length === 0 ? (
        <p class="muted">No synchronized user is in this group.</p>
      ) : (
        <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
          <table data-testid="group-members">
            <caption class="sr-only">Members</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
              </tr>
            </thead>
            <tbody>
              {members.map((user) => (
                <tr>
                  <td>
                    <a href={`#/users/${user.id}`}>
                      {user.firstName} {user.lastName}
                    </a>
                  </td>
                  <td>{user.email}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </main>
  );
}
