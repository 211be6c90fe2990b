import { useEffect, useState } from "hono/jsx/dom";
import { api, type Page, type Run, readModeText, when } from "../api.ts";
import { type HeldUser, HeldUsers } from "./held-users.tsx";
import { CountsList, Outcome } from "./sync.tsx";

export function RunsPage({ connectionId }: { connectionId: string }) {
  const [runs, setRuns] = useState<Run[] | null>(null);
  useEffect(() => {
    void api<Page<Run>>("GET", `/api/user-sync/connections/${connectionId}/runs?limit=100`).then(
      (page) => setRuns(page.items),
    );
  }, [connectionId]);
  if (!runs) return <p class="muted">Loading…</p>;
  return (
    <main>
      <p>
        <a href="#/sync">← User synchronization</a>
      </p>
      <h1>Runs</h1>
      <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
        <table>
          <caption class="sr-only">Runs, newest first</caption>
          <thead>
            <tr>
              <th>Started</th>
              <th>Trigger</th>
              <th>Read</th>
              <th>Outcome</th>
              <th>Created</th>
              <th>Updated</th>
              <th>Deleted</th>
              <th>Failed</th>
              <th>Finished</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr>
                <td>
                  <a href={`#/runs/${run.id}`}>{when(run.startedAt)}</a>
                </td>
                <td>{run.trigger}</td>
                <td>{readModeText(run)}</td>
                <td>
                  <Outcome outcome={run.outcome} />
                </td>
                <td>{run.counts.created}</td>
                <td>{run.counts.updated}</td>
                <td>{run.counts.deleted}</td>
                <td>{run.counts.failed}</td>
                <td>{when(run.finishedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}

type RunDetail = Run & {
  emails: { pending: number; sent: number; failed: number };
  failures: {
    externalId: string | null;
    email: string | null;
    displayName: string | null;
    code: string;
    reason: string;
  }[];
  warnings: { externalId: string | null; email: string | null; code: string; message: string }[];
  held: HeldUser[];
};

export function RunDetailPage({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const load = () => api<RunDetail>("GET", `/api/user-sync/runs/${runId}`).then(setRun);
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [runId]);
  if (!run) return <p class="muted">Loading…</p>;
  const confirmDeletions = async () => {
    if (!confirm(`Delete ${run.pendingDeletions} users that the directory no longer returns?`))
      return;
    const { run: next } = await api<{ run: Run }>(
      "POST",
      `/api/user-sync/runs/${run.id}/confirm-deletions`,
      { deletions: true },
    );
    setNotice("A new run with the deletion limit lifted has started.");
    location.hash = `#/runs/${next.id}`;
  };
  return (
    <main>
      <p>
        <a href={`#/connections/${run.connectionId}/runs`}>← All runs</a>
      </p>
      <h1>Run of {when(run.startedAt)}</h1>
      <p>
        <Outcome outcome={run.outcome} /> {run.trigger} · read {readModeText(run)}
        {run.finishedAt ? ` · finished ${when(run.finishedAt)}` : " · running"}
      </p>
      {run.error ? <p class="alert error">{run.error}</p> : null}
      {notice ? <p class="alert ok">{notice}</p> : null}
      {run.outcome === "needs_review" && run.held.length > 0 ? (
        <HeldUsers
          runId={run.id}
          users={run.held}
          pendingDeletions={run.pendingDeletions}
          onStarted={(next) => {
            setNotice("A new run with your decisions has started.");
            location.hash = `#/runs/${next}`;
          }}
        />
      ) : run.outcome === "needs_review" ? (
        <div class="alert warn">
          <p>
            {run.pendingDeletions} users would be deleted, more than the deletion limit allows.
            Nobody was deleted.
          </p>
          <button type="button" class="danger" onClick={confirmDeletions}>
            Confirm {run.pendingDeletions} deletions
          </button>
        </div>
      ) : null}
      <CountsList counts={run.counts} />
      <EmailsLine emails={run.emails} />
      <h2>Users that could not be synchronized ({run.failures.length})</h2>
      {run.failures.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
          <table data-testid="failures">
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Directory id</th>
                <th>Reason</th>
              </tr>
            </thead>
            <tbody>
              {run.failures.map((f) => (
                <tr>
                  <td>{f.displayName ?? "—"}</td>
                  <td>{f.email ?? "—"}</td>
                  <td class="mono">{f.externalId}</td>
                  <td>
                    {f.reason}
                    {f.externalId ? (
                      <>
                        {" "}
                        <a
                          href={`#/runs/${run.id}/users/${encodeURIComponent(f.externalId)}`}
                          aria-label={`Why: ${f.email ?? f.displayName ?? f.externalId}`}
                        >
                          Why?
                        </a>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      <h2>Warnings ({run.warnings.length})</h2>
      {run.warnings.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
          <table>
            <thead>
              <tr>
                <th>Email</th>
                <th>Warning</th>
              </tr>
            </thead>
            <tbody>
              {run.warnings.map((w) => (
                <tr>
                  <td>{w.email ?? "—"}</td>
                  <td>{w.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </main>
  );
}

/** The run's welcome emails: the dispatcher delivers them after the run, so they move. */
function EmailsLine({ emails }: { emails: RunDetail["emails"] }) {
  const total = emails.pending + emails.sent + emails.failed;
  if (total === 0) return null;
  return (
    <p data-testid="run-emails" class={emails.failed > 0 ? "alert warn" : "muted"}>
      Welcome emails: <span data-testid="emails-sent">{emails.sent}</span> sent,{" "}
      <span data-testid="emails-pending">{emails.pending}</span> waiting,{" "}
      <span data-testid="emails-failed">{emails.failed}</span> failed
      {emails.failed > 0 ? " (see the warnings below)" : ""}.
    </p>
  );
}
