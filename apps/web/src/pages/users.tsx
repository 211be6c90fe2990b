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
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState<Page<User> | null>(null);
  const cursor = cursors.at(-1) ?? null;
  useEffect(() => {
    const params = new URLSearchParams({ limit: String(PAGE) });
    if (query) params.set("query", query);
    if (tag) params.set("tag", tag);
    if (cursor) params.set("cursor", cursor);
    void api<Page<User>>("GET", `/api/users?${params}`).then(setPage);
  }, [query, tag, cursor]);
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
      </section>
      <div class="table-wrap">
        <table data-testid="users">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Aliases</th>
              <th>Source</th>
              <th>Roles</th>
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
