import { useEffect, useState } from "hono/jsx/dom";
import {
  ApiError,
  api,
  type Connection,
  type ConnectorInfo,
  type Page,
  type PreviewJob,
  when,
} from "../api.ts";
import { ConnectionForm } from "./sync/connection-form.tsx";
import { LastRun } from "./sync/last-run.tsx";
import { PreviewPanel, usePreview } from "./sync/preview.tsx";
import { SecretExpiry } from "./sync/secret-expiry.tsx";
import { SelectedGroups } from "./sync/selected-groups.tsx";
import { ConfirmSync, sideEffectsOf } from "./sync/side-effects.tsx";
import { type Status, StatusArea } from "./sync/status.tsx";

export { CountsList, Outcome } from "./sync/counts.tsx";

/** Sign-in's redirect URI with a copy button: the admin adds it to the app registration. */
function RedirectUri({ uri }: { uri: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div class="redirect-uri">
      <label for="redirect-uri">Sign-in redirect URI</label>
      <div class="copy">
        <input id="redirect-uri" readonly value={uri} data-testid="redirect-uri" />
        <button
          type="button"
          onClick={async () => {
            await navigator.clipboard?.writeText(uri).catch(() => {});
            setCopied(true);
          }}
        >
          {copied ? "Copied" : "Copy"}
        </button>
      </div>
      <p class="help">
        Add it as a redirect URI of this directory's sign-in client (Entra: the app registration's
        Web platform; Google: the Web OAuth client's authorized redirect URIs), so its users can
        sign in.
      </p>
    </div>
  );
}

/** One line saying what the connection reads, for the card. */
function settingsSummary(settings: Record<string, unknown>) {
  const parts: string[] = [];
  if (typeof settings.directoryId === "string") parts.push(`Directory ${settings.directoryId}`);
  if (typeof settings.users === "string")
    parts.push(settings.users === "all" ? "All users" : "Users of the selected groups");
  return parts.join(" · ");
}

function ConnectionCard(props: {
  connector: ConnectorInfo;
  connection: Connection;
  onChange: (c: Connection | null) => void;
}) {
  const { connector, connection } = props;
  const [editing, setEditingState] = useState(false);
  // Leaving the form (Save or Cancel) gives the keyboard back to the card's Edit button.
  const [returnFocus, setReturnFocus] = useState(false);
  const setEditing = (next: boolean) => {
    setEditingState(next);
    if (!next) setReturnFocus(true);
  };
  useEffect(() => {
    if (!returnFocus || editing) return;
    document.getElementById(`edit-${connection.id}`)?.focus();
    setReturnFocus(false);
  }, [returnFocus, editing]);
  const [busy, setBusy] = useState<string | null>(null);
  // One status area per card: each action replaces what it said before.
  const [status, setStatus] = useState<Status>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const preview = usePreview(connection.id);

  const act = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setStatus(null);
    try {
      await work();
    } catch (error) {
      setStatus({ kind: "error", text: error instanceof Error ? error.message : String(error) });
    } finally {
      setBusy(null);
    }
  };
  const refresh = async () =>
    props.onChange(await api<Connection>("GET", `/api/user-sync/connections/${connection.id}`));

  // A preview that arrives takes the focus, so a keyboard or screen-reader user lands on it.
  useEffect(() => {
    if (preview) document.getElementById(`preview-${connection.id}`)?.focus();
  }, [preview]);

  // While a run is going, follow it.
  useEffect(() => {
    if (connection.lastRun?.outcome !== "running") return;
    const timer = setInterval(() => void refresh(), 1000);
    return () => clearInterval(timer);
  }, [connection.lastRun?.outcome, connection.lastRun?.id]);

  if (editing) {
    return (
      <section class="card" aria-label={connection.name}>
        <h2>{connection.name}</h2>
        <ConnectionForm
          connector={connector}
          connection={connection}
          onCancel={() => setEditing(false)}
          onSaved={(saved) => {
            setEditing(false);
            // New settings: the old status and preview no longer hold.
            setStatus({ kind: "ok", text: "Saved." });
            preview.dismiss();
            props.onChange(saved);
          }}
        />
      </section>
    );
  }

  const connected = connection.status === "connected";
  const run = connection.lastRun;
  // A kept preview older than the last run no longer says what the next run would do.
  const stale = (job: PreviewJob | null) =>
    !!job &&
    job.status !== "running" &&
    !!run &&
    Date.parse(run.startedAt) > Date.parse(job.startedAt);
  const shownPreview = stale(preview.job) ? null : preview.job;
  const lastPreview = stale(preview.lastResult) ? null : preview.lastResult;
  const sync = (mode: "full" | "incremental" = "incremental") =>
    act("sync", async () => {
      setConfirming(null);
      preview.dismiss();
      await api("POST", `/api/user-sync/connections/${connection.id}/sync`, { mode });
      await refresh();
    });
  // A connect error is said once: by the failed Connect, or (after a reload) by the connection.
  const shown: Status =
    status ??
    (connection.status === "error" && connection.lastError
      ? {
          kind: "error",
          text: `${connection.lastError.code.replaceAll("_", " ")}: ${connection.lastError.message}`,
        }
      : null);
  return (
    <section class="card" id={`connection-${connection.id}`} aria-label={connection.name}>
      <div class="card-head">
        <h2>{connection.name}</h2>
        <span class={`pill ${connection.status}`} data-testid="connection-status">
          {connection.status}
        </span>
      </div>
      <StatusArea status={shown} />
      <p class="muted summary">{settingsSummary(connection.settings)}</p>
      <SelectedGroups
        connectionId={connection.id}
        settingsKey={JSON.stringify(connection.settings)}
      />
      <SecretExpiry expiresAt={connection.secretExpiresAt} />
      {connection.signIn ? <RedirectUri uri={connection.signIn.redirectUri} /> : null}
      <div class="actions">
        <button
          type="button"
          id={`edit-${connection.id}`}
          onClick={() => {
            setStatus(null);
            setEditing(true);
          }}
          disabled={!!busy}
        >
          Edit
        </button>
        <button
          type="button"
          class={connected ? "" : "primary"}
          disabled={!!busy}
          onClick={() =>
            act("connect", async () => {
              try {
                props.onChange(
                  await api<Connection>(
                    "POST",
                    `/api/user-sync/connections/${connection.id}/connect`,
                  ),
                );
                setStatus({
                  kind: "ok",
                  text: "Connected: the credentials, permissions and groups check out.",
                });
              } catch (error) {
                await refresh();
                // The same words as the connection's own error, said once in the status area.
                if (error instanceof ApiError)
                  throw new Error(`${error.code.replaceAll("_", " ")}: ${error.message}`);
                throw error;
              }
            })
          }
        >
          {busy === "connect" ? "Connecting…" : "Connect"}
        </button>
        <button
          type="button"
          class={connected ? "primary" : ""}
          disabled={!connected || !!busy || run?.outcome === "running"}
          onClick={() => {
            setStatus(null);
            const effects = sideEffectsOf(connection, lastPreview);
            if (effects) setConfirming(effects);
            else void sync();
          }}
        >
          Sync now
        </button>
        <button
          type="button"
          title="Read the whole directory instead of only what changed since the last run"
          disabled={!connected || !!busy || run?.outcome === "running"}
          onClick={() => {
            setStatus(null);
            void sync("full");
          }}
        >
          Full sync
        </button>
        <button
          type="button"
          disabled={!connected || !!busy || preview.job?.status === "running"}
          onClick={() => act("preview", () => preview.start())}
        >
          {preview.job?.status === "running" ? "Previewing…" : "Preview"}
        </button>
        <button
          type="button"
          class="danger"
          disabled={!!busy}
          onClick={() =>
            act("delete", async () => {
              if (
                !confirm(
                  `Delete "${connection.name}"? Its settings, secret and schedule are removed; its users stay.`,
                )
              )
                return;
              await api("DELETE", `/api/user-sync/connections/${connection.id}`);
              props.onChange(null);
            })
          }
        >
          Delete
        </button>
      </div>
      {confirming ? (
        <ConfirmSync
          text={confirming}
          onConfirm={() => sync()}
          onBack={() => setConfirming(null)}
        />
      ) : null}
      <div class="field checkbox switch">
        <input
          id={`auto-${connection.id}`}
          type="checkbox"
          role="switch"
          aria-checked={connection.autoSync.enabled ? "true" : "false"}
          checked={connection.autoSync.enabled}
          disabled={!connected}
          onChange={(event: Event) =>
            act("auto", async () => {
              props.onChange(
                await api<Connection>(
                  "PUT",
                  `/api/user-sync/connections/${connection.id}/auto-sync`,
                  { enabled: (event.target as HTMLInputElement).checked },
                ),
              );
            })
          }
        />
        <div>
          <label for={`auto-${connection.id}`}>Synchronize automatically</label>
          <p class="help" data-testid="next-run">
            {connection.autoSync.enabled
              ? `Every 24 hours; next run ${when(connection.autoSync.nextRunAt)}`
              : "Off"}
          </p>
        </div>
      </div>
      {shownPreview ? <PreviewPanel job={shownPreview} onCancel={() => preview.cancel()} /> : null}
      <LastRun connection={connection} onChanged={refresh} />
    </section>
  );
}

/** Administration › User synchronization: one card per connector type. */
export function SyncPage() {
  const [catalog, setCatalog] = useState<ConnectorInfo[]>([]);
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [creating, setCreating] = useState<string | null>(null);
  useEffect(() => {
    void api<{ items: ConnectorInfo[] }>("GET", "/api/user-sync/connectors").then((c) =>
      setCatalog(c.items),
    );
    void api<Page<Connection>>("GET", "/api/user-sync/connections?limit=100").then((c) =>
      setConnections(c.items),
    );
  }, []);
  // A notification about a connection links here with ?connection=: bring its card into view.
  useEffect(() => {
    const id = new URLSearchParams(location.hash.split("?")[1] ?? "").get("connection");
    if (connections && id) document.getElementById(`connection-${id}`)?.scrollIntoView();
  }, [connections === null]);
  if (!connections) return <p class="muted">Loading…</p>;
  const replace = (id: string) => (next: Connection | null) =>
    setConnections(
      next
        ? connections.map((c) => (c.id === id ? next : c))
        : connections.filter((c) => c.id !== id),
    );

  return (
    <main>
      <h1>User synchronization</h1>
      <p class="muted">Connect your directory; Roster keeps your users in step with it.</p>
      {catalog.map((connector) => {
        const mine = connections.filter((c) => c.type === connector.type);
        if (connector.status === "coming-soon") {
          return (
            <section class="card disabled" aria-label={connector.displayName}>
              <div class="card-head">
                <h2>{connector.displayName}</h2>
                <span class="pill">coming soon</span>
              </div>
              <p class="muted">This directory is not available yet.</p>
            </section>
          );
        }
        return (
          <>
            {mine.map((connection) => (
              <ConnectionCard
                connector={connector}
                connection={connection}
                onChange={replace(connection.id)}
              />
            ))}
            {mine.length === 0 || creating === connector.type ? (
              <section class="card" aria-label={connector.displayName}>
                <div class="card-head">
                  <h2>{connector.displayName}</h2>
                  <span class="pill">not set up</span>
                </div>
                {creating === connector.type ? (
                  <ConnectionForm
                    connector={connector}
                    connection={null}
                    onCancel={() => setCreating(null)}
                    onSaved={(saved) => {
                      setCreating(null);
                      setConnections([...connections, saved]);
                    }}
                  />
                ) : (
                  <button type="button" class="primary" onClick={() => setCreating(connector.type)}>
                    Set up {connector.displayName}
                  </button>
                )}
              </section>
            ) : null}
          </>
        );
      })}
    </main>
  );
}
