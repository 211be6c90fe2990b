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
      <a href={`#/connections/${connection.id}/runs`}>All runs</a>
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
      {links}
    </div>
  );
}
