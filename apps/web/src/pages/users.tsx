import { useEffect, useState } from "hono/jsx/dom";
import { api, type Page, when } from "../api.ts";

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
  deletedAt: string | null;
};
type Group = { id: string; name: string; memberCount: number; updatedAt: string };

const PAGE = 50;

/** Users: search, tag filter, paging, and where each user comes from. */
export function UsersPage() {
  const [query, setQuery] = useState("");
  const [tag, setTag] = useState("");
  // Issue 17 (deletions): the Deleted filter and Restore.
  const [deleted, setDeleted] = useState(false);
  const [restored, setRestored] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<User> | null>(null);
  const cursor = cursors.at(-1) ?? null;
  useEffect(() => {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (query) params.set("query", query);
    if (tag) params.set("tag", tag);
    if (cursor) params.set("cursor", cursor);
    if (deleted) params.set("deleted", "only");
    void api<Page<User>>("GET", `/api/users?${params}`).then(setPage);
  }, [query, tag, cursor, deleted, reload]);
  const restore = async (user: User) => {
    await api("POST", `/api/users/${user.id}/restore`);
    setRestored(`${user.email} was restored.`);
    setReload(reload + 1);
  };
  const restart = () => setCursors([null]);
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
            value={query}
            onInput={(event: Event) => {
              setQuery((event.target as HTMLInputElement).value);
              restart();
            }}
          />
        </div>
        <div class="field">
          <label for="user-tag">Tag</label>
          <select
            id="user-tag"
            value={tag}
            onChange={(event: Event) => {
              setTag((event.target as HTMLSelectElement).value);
              restart();
            }}
          >
            <option value="">All users</option>
            <option value="AD synced">AD synced</option>
          </select>
        </div>
        <div class="field">
          <label for="user-status">Status</label>
          <select
            id="user-status"
            value={deleted ? "deleted" : "active"}
            onChange={(event: Event) => {
              setDeleted((event.target as HTMLSelectElement).value === "deleted");
              setRestored(null);
              restart();
            }}
          >
            <option value="active">Active</option>
            <option value="deleted">Deleted</option>
          </select>
        </div>
      </section>
      <p aria-live="polite" class={restored ? "alert ok" : ""}>
        {restored}
      </p>
      <div class="table-wrap">
        <table data-testid="users">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Aliases</th>
              <th>Source</th>
              <th>Roles</th>
              {deleted ? <th>Deleted</th> : null}
            </tr>
          </thead>
          <tbody>
            {(page?.items ?? []).map((user) => (
              <tr>
                <td>
                  {user.firstName} {user.lastName}
                </td>
                <td>{user.email}</td>
                <td>{user.aliases.join(", ")}</td>
                <td>
                  {user.connectionId ? `Directory (${user.signIn})` : "Application"}
                  {user.tags.map((t) => (
                    <span class="pill">{t}</span>
                  ))}
                </td>
                <td>{user.roles.join(", ")}</td>
                {deleted ? (
                  <td>
                    {when(user.deletedAt)}{" "}
                    <button type="button" onClick={() => void restore(user)}>
                      Restore
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="actions">
        <button
          type="button"
          disabled={cursors.length < 2}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Previous
        </button>
        <button
          type="button"
          disabled={!page?.nextCursor}
          onClick={() => setCursors([...cursors, page?.nextCursor ?? null])}
        >
          Next
        </button>
      </div>
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
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Group</th>
              <th>Members</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {(groups ?? []).map((g) => (
              <tr>
                <td>{g.name}</td>
                <td>{g.memberCount}</td>
                <td>{when(g.updatedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}
