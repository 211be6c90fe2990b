import { useEffect, useState } from "hono/jsx/dom";
import { api, type Connection, type ConnectorInfo, type Counts, type Page, when } from "../api.ts";
import { ConnectionForm } from "./sync/connection-form.tsx";
import { SelectedGroups } from "./sync/selected-groups.tsx";

const COUNT_KEYS: (keyof Counts)[] = [
  "created",
  "updated",
  "restored",
  "deleted",
  "skipped",
  "unchanged",
  "failed",
];

export const CountsList = ({ counts }: { counts: Counts }) => (
  <dl class="counts">
    {COUNT_KEYS.map((key) => (
      <div>
        <dt>{key}</dt>
        <dd data-testid={`count-${key}`}>{counts[key]}</dd>
      </div>
    ))}
  </dl>
);

export const Outcome = ({ outcome }: { outcome: string }) => (
  <span class={`pill ${outcome}`}>{outcome.replaceAll("_", " ")}</span>
);

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

type Preview = {
  counts: Counts;
  error: string | null;
  outcome: string;
  pendingDeletions: number;
  aliasesRemoved: number;
  samples: Record<string, { email: string | null; name: string | null; reason?: string }[]>;
};

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
  const [notice, setNotice] = useState<{ kind: "error" | "ok"; text: string } | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);

  const act = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setNotice(null);
    try {
      await work();
    } catch (error) {
      setNotice({ kind: "error", text: error instanceof Error ? error.message : String(error) });
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
            props.onChange(saved);
          }}
        />
      </section>
    );
  }

  const connected = connection.status === "connected";
  const run = connection.lastRun;
  return (
    <section class="card" aria-label={connection.name}>
      <div class="card-head">
        <h2>{connection.name}</h2>
        <span class={`pill ${connection.status}`} data-testid="connection-status">
          {connection.status}
        </span>
      </div>
      {connection.status === "error" && connection.lastError ? (
        <p class="alert error" role="alert" data-testid="connect-error">
          <strong>{connection.lastError.code.replaceAll("_", " ")}:</strong>{" "}
          {connection.lastError.message}
        </p>
      ) : null}
      {notice ? (
        <p class={`alert ${notice.kind}`} role="alert">
          {notice.text}
        </p>
      ) : null}
      <p class="muted summary">{settingsSummary(connection.settings)}</p>
      <SelectedGroups
        connectionId={connection.id}
        settingsKey={JSON.stringify(connection.settings)}
      />
      {connection.secretExpiresAt ? (
        <p class="muted">Secret expires {when(connection.secretExpiresAt)}</p>
      ) : null}
      {connection.signIn ? <RedirectUri uri={connection.signIn.redirectUri} /> : null}
      <div class="actions">
        <button
          type="button"
          id={`edit-${connection.id}`}
          onClick={() => setEditing(true)}
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
                setNotice({
                  kind: "ok",
                  text: "Connected: the credentials, permissions and groups check out.",
                });
              } catch (error) {
                await refresh();
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
          onClick={() =>
            act("sync", async () => {
              await api("POST", `/api/user-sync/connections/${connection.id}/sync`);
              await refresh();
            })
          }
        >
          Sync now
        </button>
        <button
          type="button"
          title="Read the whole directory instead of only what changed since the last run"
          disabled={!connected || !!busy || run?.outcome === "running"}
          onClick={() =>
            act("sync", async () => {
              await api("POST", `/api/user-sync/connections/${connection.id}/sync`, {
                mode: "full",
              });
              await refresh();
            })
          }
        >
          Full sync
        </button>
        <button
          type="button"
          disabled={!connected || !!busy}
          onClick={() =>
            act("preview", async () =>
              setPreview(
                await api<Preview>("POST", `/api/user-sync/connections/${connection.id}/preview`),
              ),
            )
          }
        >
          {busy === "preview" ? "Previewing…" : "Preview"}
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
      {preview ? (
        <section class="preview" aria-label="Preview">
          <h3 id={`preview-${connection.id}`} tabindex={-1}>
            Preview — nothing was changed
          </h3>
          {preview.error ? <p class="alert error">{preview.error}</p> : null}
          <CountsList counts={preview.counts} />
          {preview.aliasesRemoved > 0 ? (
            <p class="alert warning" data-testid="aliases-removed">
              {preview.aliasesRemoved} of the updated users would lose aliases.
            </p>
          ) : null}
          {(["created", "updated", "restored", "deleted", "failed", "aliasesRemoved"] as const).map(
            (kind) =>
              preview.samples[kind]?.length ? (
                <details>
                  <summary>
                    {kind === "aliasesRemoved" ? "aliases removed" : kind}: first{" "}
                    {preview.samples[kind]?.length}
                  </summary>
                  <ul>
                    {preview.samples[kind]?.map((s) => (
                      <li>
                        {s.name ?? "—"} &lt;{s.email ?? "no email"}&gt;{" "}
                        {s.reason ? `— ${s.reason}` : ""}
                      </li>
                    ))}
                  </ul>
                </details>
              ) : null,
          )}
        </section>
      ) : null}
      <div class="last-run" aria-live="polite">
        <h3>Last run</h3>
        {run ? (
          <div data-testid="last-run">
            <p>
              <Outcome outcome={run.outcome} /> {run.trigger} · started {when(run.startedAt)}
              {run.finishedAt ? ` · finished ${when(run.finishedAt)}` : ""}
            </p>
            <CountsList counts={run.counts} />
            <p>
              <a href={`#/runs/${run.id}`}>Run details</a> ·{" "}
              <a href={`#/connections/${connection.id}/runs`}>All runs</a> ·{" "}
              <a href={`#/provision?connection=${connection.id}`}>Provision a user</a>
            </p>
          </div>
        ) : (
          <p class="muted">No run yet.</p>
        )}
      </div>
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
