import { api, type Connection, when } from "../../api.ts";
import { CountsList, Outcome } from "./counts.tsx";
import { LiveProgress } from "./progress.tsx";

/**
 * The card's last run: live progress with Cancel while it runs; after, its outcome, counts
 * and — when it failed, needs review or was cancelled — the reason, on the card itself.
 */
export function LastRun(props: { connection: Connection; onChanged: () => Promise<void> }) {
  const { connection } = props;
  const run = connection.lastRun;
  if (!run) {
    return (
      <div class="last-run">
        <h3>Last run</h3>
        <p class="muted">No run yet.</p>
      </div>
    );
  }
  const links = (
    <p>
      <a href={`#/runs/${run.id}`}>Run details</a> ·{" "}
      <a href={`#/connections/${connection.id}/runs`}>All runs</a> ·{" "}
      <a href={`#/provision?connection=${connection.id}`}>Provision a user</a>
    </p>
  );
  if (run.outcome === "running") {
    return (
      <div class="last-run" data-testid="last-run">
        <h3>Running now</h3>
        <LiveProgress
          label="Synchronizing"
          startedAt={run.startedAt}
          progress={run.progress}
          cancelRequested={run.cancelRequested}
          onCancel={async () => {
            await api("POST", `/api/user-sync/runs/${run.id}/cancel`);
            await props.onChanged();
          }}
        />
        {links}
      </div>
    );
  }
  return (
    <div class="last-run" data-testid="last-run">
      <h3>Last run</h3>
      <p>
        <Outcome outcome={run.outcome} /> {run.trigger} · started {when(run.startedAt)}
        {run.finishedAt ? ` · finished ${when(run.finishedAt)}` : ""}
      </p>
      {run.error ? (
        <p
          class={`alert ${run.outcome === "failed" ? "error" : "warn"}`}
          data-testid="last-run-error"
        >
          {run.error}
        </p>
      ) : null}
      {run.outcome === "needs_review" ? (
        <p>
          <a class="button" href={`#/runs/${run.id}`} data-testid="review-deletions">
            Review the {run.pendingDeletions.toLocaleString()} deletions
          </a>
        </p>
      ) : null}
      <CountsList counts={run.counts} />
      <EmailDelivery emails={run.emails} />
      {links}
    </div>
  );
}

/**
 * The emails phase: a run queues its PIN emails with the users it writes; the dispatcher
 * delivers them after it (at Resend's rate), so the card says how far delivery got.
 */
function EmailDelivery({
  emails,
}: {
  emails: { pending: number; sent: number; failed: number } | null;
}) {
  if (!emails || emails.pending + emails.sent + emails.failed === 0) return null;
  return (
    <p class={emails.failed > 0 ? "alert warn" : "muted"} data-testid="card-emails">
      {emails.pending > 0 ? "Sending PIN emails: " : "PIN emails: "}
      {emails.sent.toLocaleString()} sent, {emails.pending.toLocaleString()} waiting
      {emails.failed > 0
        ? `, ${emails.failed.toLocaleString()} failed (see the run's warnings)`
        : ""}
      .
    </p>
  );
}
