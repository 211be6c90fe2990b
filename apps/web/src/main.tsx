import { render, useEffect, useState } from "hono/jsx/dom";
import { api } from "./api.ts";
import { AccountPage, type Me } from "./pages/account.tsx";
import { LoginPage } from "./pages/login.tsx";
import { Navbar } from "./pages/navbar.tsx";
import { RunDetailPage, RunsPage } from "./pages/runs.tsx";
import { SyncPage } from "./pages/sync.tsx";
import { GroupsPage, UsersPage } from "./pages/users.tsx";

const useHash = () => {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return hash;
};

function Route({ hash, me, onSignOut }: { hash: string; me: Me; onSignOut: () => void }) {
  // A user without an administration page lands on their own account.
  if (hash.startsWith("#/account") || me.permissions.length === 0) {
    return <AccountPage me={me} onSignOut={onSignOut} />;
  }
  if (!hash && !me.permissions.includes("Pages.Administration.UserSync")) return <UsersPage />;
  const runs = /^#\/connections\/([^/]+)\/runs/.exec(hash);
  if (runs?.[1]) return <RunsPage connectionId={runs[1]} />;
  const run = /^#\/runs\/([^/]+)/.exec(hash);
  if (run?.[1]) return <RunDetailPage runId={run[1]} />;
  if (hash.startsWith("#/users")) return <UsersPage />;
  if (hash.startsWith("#/groups")) return <GroupsPage />;
  return <SyncPage />;
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
  if (me === undefined) return <p class="muted">Loading…</p>;
  if (me === null) return <LoginPage onSignedIn={load} />;
  const signOut = async () => {
    await api("POST", "/api/auth/logout").catch(() => {});
    setMe(null);
  };
  return (
    <>
      <Navbar email={me.user.email} permissions={me.permissions} onSignOut={signOut} />
      {/* Keyed by the route: each page mounts fresh instead of being patched into the last one. */}
      <div class="page" key={hash}>
        <Route hash={hash} me={me} onSignOut={signOut} />
      </div>
    </>
  );
}

render(<App />, document.getElementById("root") as HTMLElement);
