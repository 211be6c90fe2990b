import { useEffect, useState } from "hono/jsx/dom";
import { api, type Page, type Run, readModeText, when } from "../api.ts";
import { type HeldUser, HeldUsers } from "./held-users.tsx";
import { type IssueKind, IssueList } from "./run-issues.tsx";
import { CountsList, Outcome } from "./sync/counts.tsx";
import { LiveProgress } from "./sync/progress.tsx";

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
      <div class="table-wrap">
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
      </div>
    </main>
  );
}

type Reason = { kind: IssueKind; code: string; count: number; example: string };
type RunDetail = Run & {
  emails: { pending: number; sent: number; failed: number };
  totals: { failures: number; warnings: number; pendingDeletions: number };
  reasons: Reason[];
  held: HeldUser[];
};

const TABS: { kind: IssueKind; label: string; total: (run: RunDetail) => number }[] = [
  { kind: "failure", label: "Failures", total: (run) => run.totals.failures },
  { kind: "warning", label: "Warnings", total: (run) => run.totals.warnings },
];

export function RunDetailPage({ runId }: { runId: string }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [tab, setTab] = useState<IssueKind>("failure");
  const [code, setCode] = useState<string | null>(null);
  const load = () => api<RunDetail>("GET", `/api/user-sync/runs/${runId}`).then(setRun);
  useEffect(() => {
    void load();
  }, [runId]);
  // Polls only while the run goes; a finished run does not change.
  useEffect(() => {
    if (run?.outcome !== "running") return;
    const timer = setInterval(() => void load(), 2000);
    return () => clearInterval(timer);
  }, [run?.outcome]);
  if (!run) return <p class="muted">Loading…</p>;
  const reasons = run.reasons.filter((reason) => reason.kind === tab);
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
      {run.outcome === "running" ? (
        <LiveProgress
          label="Synchronizing"
          startedAt={run.startedAt}
          progress={run.progress}
          cancelRequested={run.cancelRequested}
          onCancel={async () => {
            await api("POST", `/api/user-sync/runs/${run.id}/cancel`);
            await load();
          }}
        />
      ) : null}
      {run.error ? <p class="alert error">{run.error}</p> : null}
      {run.outcome === "needs_review" && run.held.length > 0 ? (
        <HeldUsers
          runId={run.id}
          users={run.held}
          pendingDeletions={run.pendingDeletions}
          onStarted={(next) => {
            location.hash = `#/runs/${next}`;
          }}
        />
      ) : null}
      {run.outcome === "needs_review" && run.pendingDeletions > 0 ? (
        <DeletionReview run={run} />
      ) : null}
      <CountsList counts={run.counts} />
      <EmailsLine emails={run.emails} />
      <div class="tabs" role="tablist" aria-label="Issues">
        {TABS.map((entry) => (
          <button
            type="button"
            role="tab"
            id={`tab-${entry.kind}`}
            aria-selected={tab === entry.kind ? "true" : "false"}
            aria-controls="issues-panel"
            onClick={() => {
              setTab(entry.kind);
              setCode(null);
            }}
          >
            {entry.label} (
            <span data-testid={`total-${entry.kind}`}>{entry.total(run).toLocaleString()}</span>)
          </button>
        ))}
      </div>
      <section id="issues-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {reasons.length > 0 ? (
          <div class="table-wrap">
            <table data-testid="reasons">
              <caption>By reason</caption>
              <thead>
                <tr>
                  <th>Reason</th>
                  <th>Users</th>
                  <th>Example</th>
                </tr>
              </thead>
              <tbody>
                {reasons.map((reason) => (
                  <tr>
                    <td>
                      <button
                        type="button"
                        class="link"
                        aria-pressed={code === reason.code ? "true" : "false"}
                        onClick={() => setCode(code === reason.code ? null : reason.code)}
                      >
                        {reason.code.replaceAll("_", " ")}
                      </button>
                    </td>
                    <td>{reason.count.toLocaleString()}</td>
                    <td>{reason.example}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <IssueList
          runId={run.id}
          kind={tab}
          label={tab === "failure" ? "Failures" : "Warnings"}
          total={tab === "failure" ? run.totals.failures : run.totals.warnings}
          code={code}
          onCode={setCode}
        />
      </section>
    </main>
  );
}

/**
 * A needs_review run: who would be deleted (paged, searchable), then one confirmation for
 * all of them — asked in the page, with the number, not in a browser dialog.
 */
function DeletionReview({ run }: { run: RunDetail }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmAll = async () => {
    try {
      const { run: next } = await api<{ run: Run }>(
        "POST",
        `/api/user-sync/runs/${run.id}/confirm-deletions`,
        // The deletions only: users held for a confirmation are decided one by one.
        { deletions: true, confirmUsers: [] },
      );
      location.hash = `#/runs/${next.id}`;
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <section class="alert warn deletion-review" aria-label="Deletions to confirm">
      <h2>{run.pendingDeletions.toLocaleString()} users would be deleted</h2>
      <p>
        More than the deletion limit allows, so nobody was deleted. These users are no longer in the
        directory's scope; confirming runs the sync again and deletes them (they can be restored
        from Users › Deleted).
      </p>
      <IssueList
        runId={run.id}
        kind="pending_deletion"
        label="Users to delete"
        total={run.totals.pendingDeletions}
        code={null}
        onCode={() => {}}
      />
      {error ? <p class="alert error">{error}</p> : null}
      {asking ? (
        <div class="actions">
          <button type="button" class="danger" onClick={confirmAll} data-testid="confirm-all">
            Yes, delete all {run.pendingDeletions.toLocaleString()} users
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            Back
          </button>
        </div>
      ) : (
        <div class="actions">
          <button type="button" class="danger" onClick={() => setAsking(true)}>
            Confirm {run.pendingDeletions.toLocaleString()} deletions…
          </button>
        </div>
      )}
    </section>
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
