import { useEffect, useState } from "hono/jsx/dom";
import { api, type Page, when } from "../api.ts";

type Notification = {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: { runId?: string };
  createdAt: string;
  readAt: string | null;
};

/** The bell: unread count, the latest notifications, mark read; polls without a reload. */
function Bell() {
  const [items, setItems] = useState<Notification[]>([]);
  const [open, setOpen] = useState(false);
  const load = () =>
    api<Page<Notification>>("GET", "/api/notifications?limit=20")
      .then((page) => setItems(page.items))
      .catch(() => {});
  useEffect(() => {
    void load();
    const timer = setInterval(load, 4000);
    return () => clearInterval(timer);
  }, []);
  const unread = items.filter((item) => !item.readAt).length;
  const read = async (item: Notification) => {
    if (!item.readAt) await api("POST", `/api/notifications/${item.id}/read`);
    if (item.data.runId) location.hash = `#/runs/${item.data.runId}`;
    setOpen(false);
    await load();
  };
  return (
    <div class="bell">
      <button
        type="button"
        aria-haspopup="true"
        aria-expanded={open ? "true" : "false"}
        aria-label={`Notifications, ${unread} unread`}
        onClick={() => setOpen(!open)}
      >
        <svg
          aria-hidden="true"
          width="18"
          height="18"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          stroke-width="2"
        >
          <path d="M18 8a6 6 0 1 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
          <path d="M13.7 21a2 2 0 0 1-3.4 0" />
        </svg>
        {unread > 0 ? (
          <span class="badge" data-testid="unread-count">
            {unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <div class="menu" role="menu">
          <div class="menu-head">
            <strong>Notifications</strong>
            <button
              type="button"
              class="link"
              onClick={async () => {
                await api("POST", "/api/notifications/read-all");
                await load();
              }}
            >
              Mark all read
            </button>
          </div>
          {items.length === 0 ? <p class="muted">Nothing yet.</p> : null}
          {items.map((item) => (
            <button
              type="button"
              role="menuitem"
              class={`note ${item.readAt ? "" : "unread"}`}
              onClick={() => read(item)}
            >
              <strong>{item.title}</strong>
              <span>{item.body}</span>
              <small>{when(item.createdAt)}</small>
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

export function Navbar({
  email,
  permissions,
  onSignOut,
}: {
  email: string;
  permissions: string[];
  onSignOut: () => void;
}) {
  const link = (hash: string, label: string) => (
    <a href={hash} aria-current={location.hash.startsWith(hash) ? "page" : undefined}>
      {label}
    </a>
  );
  return (
    <header class="navbar">
      <a class="brand" href="#/sync">
        Roster
      </a>
      <nav aria-label="Administration">
        {permissions.includes("Pages.Administration.UserSync")
          ? link("#/sync", "User synchronization")
          : null}
        {permissions.includes("Pages.Administration.Users") ? link("#/users", "Users") : null}
        {permissions.includes("Pages.Administration.Users") ? link("#/groups", "Groups") : null}
      </nav>
      <div class="nav-end">
        <Bell />
        <a class="muted who" href="#/account">
          {email}
        </a>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </div>
    </header>
  );
}
