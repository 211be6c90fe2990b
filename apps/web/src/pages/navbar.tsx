import { useEffect, useState } from "hono/jsx/dom";
import { api, type Page, when } from "../api.ts";

type Notification = {
  id: string;
  kind: string;
  title: string;
  body: string;
  data: { runId?: string; connectionId?: string };
  createdAt: string;
  readAt: string | null;
};

/** Where a notification leads: its run, or (secret expiry) its connection's card. */
const targetOf = (item: Notification) =>
  item.data.runId
    ? `#/runs/${item.data.runId}`
    : item.data.connectionId
      ? `#/sync?connection=${item.data.connectionId}`
      : "#/sync";

/**
 * The bell: unread count, the latest notifications as links, mark read; polls without a
 * reload. The panel fits a phone (fixed under the navbar there), moves with the arrow keys,
 * and closes with Escape (focus back on the bell) or a click outside.
 */
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
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) document.getElementById("bell-button")?.focus();
  };
  useEffect(() => {
    if (!open) return;
    const outside = (event: Event) => {
      if (!document.querySelector(".bell")?.contains(event.target as Node)) close(false);
    };
    document.addEventListener("pointerdown", outside);
    document.addEventListener("keydown", onKeyDown);
    // Focus the first notification, so the arrow keys work at once.
    document.querySelector<HTMLElement>(".bell .note")?.focus();
    return () => {
      document.removeEventListener("pointerdown", outside);
      document.removeEventListener("keydown", onKeyDown);
    };
  }, [open]);
  const unread = items.filter((item) => !item.readAt).length;
  const read = async (item: Notification) => {
    setOpen(false);
    if (!item.readAt) await api("POST", `/api/notifications/${item.id}/read`).catch(() => {});
    await load();
  };
  function onKeyDown(event: KeyboardEvent) {
    if (event.key === "Escape") {
      event.preventDefault();
      close(true);
      return;
    }
    if (!["ArrowDown", "ArrowUp", "Home", "End"].includes(event.key)) return;
    const links = [...document.querySelectorAll<HTMLElement>(".bell .note")];
    if (links.length === 0) return;
    event.preventDefault();
    const at = links.indexOf(document.activeElement as HTMLElement);
    const next =
      event.key === "Home"
        ? 0
        : event.key === "End"
          ? links.length - 1
          : event.key === "ArrowDown"
            ? (at + 1) % links.length
            : (at - 1 + links.length) % links.length;
    links[next]?.focus();
  }
  return (
    <div class="bell">
      <button
        id="bell-button"
        type="button"
        aria-expanded={open ? "true" : "false"}
        aria-controls="notifications-panel"
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
        <section
          id="notifications-panel"
          class="menu"
          aria-label="Notifications"
          data-testid="notifications"
        >
          <div class="menu-head">
            <h2>Notifications</h2>
            <button
              type="button"
              class="mark-all"
              onClick={async () => {
                await api("POST", "/api/notifications/read-all");
                await load();
              }}
            >
              Mark all read
            </button>
          </div>
          {items.length === 0 ? <p class="muted empty">Nothing yet.</p> : null}
          <ul>
            {items.map((item) => (
              <li>
                <a
                  href={targetOf(item)}
                  class={`note ${item.readAt ? "" : "unread"}`}
                  onClick={() => void read(item)}
                >
                  <strong>{item.title}</strong>
                  <span>{item.body}</span>
                  <small>
                    {when(item.createdAt)}
                    {item.readAt ? "" : " · unread"}
                  </small>
                </a>
              </li>
            ))}
          </ul>
        </section>
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
