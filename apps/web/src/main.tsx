import type { Child } from "hono/jsx";
import { render, useEffect, useState } from "hono/jsx/dom";
import { api } from "./api.ts";
import { AccountPage, type Me } from "./pages/account.tsx";
import { LoginPage } from "./pages/login.tsx";
import { Navbar } from "./pages/navbar.tsx";
import { ProvisionPage, RunUserPage } from "./pages/provision.tsx";
import { RunDetailPage, RunsPage } from "./pages/runs.tsx";
import { SyncPage } from "./pages/sync.tsx";
import { GroupMembersPage, GroupsPage, UserDetailPage, UsersPage } from "./pages/users.tsx";

const useHash = () => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return hash;
};

/** The page a hash names, with its title; an unknown hash is "not found", never "Loading…". */
function routeOf(hash: string, me: Me, onSignOut: () => void): { title: string; page: Child } {
  const canSync = me.permissions.includes("Pages.Administration.UserSync");
  const path = hash.split("?")[0] ?? "";
  // A user without an administration page lands on their own account.
  if (path.startsWith("#/account") || me.permissions.length === 0) {
    return { title: "Your account", page: <AccountPage me={me} onSignOut={onSignOut} /> };
  }
  if (!path && !canSync) return { title: "Users", page: <UsersPage canSync={canSync} /> };
  if (!path || path === "#/" || path === "#/sync")
    return { title: "User synchronization", page: <SyncPage /> };
  const runs = /^#\/connections\/([^/]+)\/runs$/.exec(path);
  if (runs?.[1]) return { title: "Runs", page: <RunsPage connectionId={runs[1]} /> };
  const runUser = /^#\/runs\/([^/]+)\/users\/([^/]+)$/.exec(path);
  if (runUser?.[1] && runUser[2] && canSync) {
    return {
      title: "Why this user",
      page: <RunUserPage runId={runUser[1]} externalId={decodeURIComponent(runUser[2])} />,
    };
  }
  const run = /^#\/runs\/([^/]+)$/.exec(path);
  if (run?.[1]) return { title: "Run details", page: <RunDetailPage runId={run[1]} /> };
  const user = /^#\/users\/([^/]+)$/.exec(path);
  if (user?.[1])
    return { title: "User", page: <UserDetailPage userId={user[1]} canSync={canSync} /> };
  if (path === "#/users") return { title: "Users", page: <UsersPage canSync={canSync} /> };
  const group = /^#\/groups\/([^/]+)$/.exec(path);
  if (group?.[1]) return { title: "Group members", page: <GroupMembersPage groupId={group[1]} /> };
  if (path === "#/groups") return { title: "Groups", page: <GroupsPage /> };
  if (path === "#/provision" && canSync) {
    const connection = new URLSearchParams(hash.split("?")[1] ?? "").get("connection");
    return { title: "Provision on demand", page: <ProvisionPage connectionId={connection} /> };
  }
  return { title: "Page not found", page: <NotFoundPage /> };
}

function NotFoundPage() {
  return (
    <main>
      <h1>Page not found</h1>
      <p>
        This address names no page of Roster. <a href="#/">Go to the start page</a>.
      </p>
    </main>
  );
}

/** Skips the navigation: focuses the page itself (an `href="#…"` would change the route). */
function SkipLink() {
  return (
    <button
      type="button"
      class="skip-link"
      onClick={() => {
        const target =
          document.querySelector<HTMLElement>("#page-content h1") ??
          document.getElementById("page-content");
        target?.setAttribute("tabindex", "-1");
        target?.focus();
      }}
    >
      Skip to main content
    </button>
  );
}

function App() {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const hash = useHash();
  const load = () => api<Me>("GET", "/api/me").then(setMe, () => setMe(null));
  useEffect(() => {
    void load();
    const signedOut = () => setMe(null);
    window.addEventListener("roster:signed-out", signedOut);
    return () => window.removeEventListener("roster:signed-out", signedOut);
  }, []);
  const route = me ? routeOf(hash, me, () => {}) : null;
  useEffect(() => {
    document.title =
      me === null ? "Sign in · Roster" : route ? `${route.title} · Roster` : "Roster";
  }, [hash, me]);
  if (me === undefined) return <p class="muted">Loading…</p>;
  if (me === null) return <LoginPage onSignedIn={load} />;
  const signOut = async () => {
    await api("POST", "/api/auth/logout").catch(() => {});
    setMe(null);
  };
  return (
    <>
      <SkipLink />
      <Navbar email={me.user.email} permissions={me.permissions} onSignOut={signOut} />
      {/* Keyed by the route: each page mounts fresh instead of being patched into the last one. */}
      <div class="page" id="page-content" key={hash.split("?")[0]}>
        {routeOf(hash, me, signOut).page}
      </div>
    </>
  );
}

render(<App />, document.getElementById("root") as HTMLElement);
