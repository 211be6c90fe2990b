import { useEffect, useState } from "hono/jsx/dom";
import { ApiError, api, type PreviewJob, when } from "../../api.ts";
import { CountsList } from "./counts.tsx";
import { LiveProgress } from "./progress.tsx";

/**
 * A connection's preview as a background job: the latest one is loaded with the card (a
 * result is kept to be read later), a new one is started and followed every second until
 * it ends, and it can be cancelled. A 409 means one is already running: follow that one.
 */
export function usePreview(connectionId: string) {
  const [job, setJob] = useState<PreviewJob | null>(null);
  const [dismissed, setDismissed] = useState(false);
  useEffect(() => {
    void api<PreviewJob>("GET", `/api/user-sync/connections/${connectionId}/preview`).then(
      setJob,
      () => setJob(null),
    );
  }, [connectionId]);
  useEffect(() => {
    if (job?.status !== "running") return;
    const timer = setInterval(() => {
      void api<PreviewJob>("GET", `/api/user-sync/previews/${job.id}`).then(setJob, () => {});
    }, 1000);
    return () => clearInterval(timer);
  }, [job?.id, job?.status]);
  return {
    job: dismissed ? null : job,
    /** The latest finished result, even while hidden: what a Sync now would do. */
    lastResult: job?.status === "succeeded" ? job : null,
    async start() {
      setDismissed(false);
      try {
        const started = await api<{ preview: PreviewJob }>(
          "POST",
          `/api/user-sync/connections/${connectionId}/preview`,
        );
        setJob(started.preview);
      } catch (error) {
        const running = error instanceof ApiError && error.code === "preview_in_progress";
        const id = running ? (error.details as { id?: string } | undefined)?.id : undefined;
        if (!id) throw error;
        setJob(await api<PreviewJob>("GET", `/api/user-sync/previews/${id}`));
      }
    },
    async cancel() {
      if (job) setJob(await api<PreviewJob>("POST", `/api/user-sync/previews/${job.id}/cancel`));
    },
    /** Hides a result that no longer holds (settings saved, a run started). */
    dismiss: () => setDismissed(true),
  };
}

const SAMPLE_KINDS = [
  "created",
  "updated",
  "restored",
  "deleted",
  "failed",
  "aliasesRemoved",
] as const;

export function PreviewPanel(props: { job: PreviewJob; onCancel: () => Promise<void> }) {
  const { job } = props;
  if (job.status === "running") {
    return (
      <section class="preview" aria-label="Preview">
        <LiveProgress
          label="Previewing"
          startedAt={job.startedAt}
          progress={job.progress}
          cancelRequested={job.cancelRequested}
          onCancel={props.onCancel}
        />
      </section>
    );
  }
  if (job.status !== "succeeded" || !job.result) {
    return (
      <section class="preview" aria-label="Preview">
        <h3>Preview {job.status === "cancelled" ? "cancelled" : "failed"}</h3>
        <p class={job.status === "cancelled" ? "muted" : "alert error"} data-testid="preview-error">
          {job.error}
        </p>
      </section>
    );
  }
  const preview = job.result;
  return (
    <section class="preview" aria-label="Preview">
      <h3>Preview — nothing was changed</h3>
      <p class="muted">
        Read {when(job.startedAt)}
        {job.progress ? `, ${job.progress.usersRead.toLocaleString()} users` : ""}.
      </p>
      {preview.error ? <p class="alert error">{preview.error}</p> : null}
      <CountsList counts={preview.counts} />
      {preview.aliasesRemoved > 0 ? (
        <p class="alert warn" data-testid="aliases-removed">
          {preview.aliasesRemoved} of the updated users would lose aliases.
        </p>
      ) : null}
      {SAMPLE_KINDS.map((kind) =>
        preview.samples[kind]?.length ? (
          <details>
            <summary>
              {kind === "aliasesRemoved" ? "aliases removed" : kind}: first{" "}
              {preview.samples[kind]?.length}
            </summary>
            <ul>
              {preview.samples[kind]?.map((s) => (
                <li>
                  {s.name ?? "—"} &lt;{s.email ?? "no email"}&gt; {s.reason ? `— ${s.reason}` : ""}
                </li>
              ))}
            </ul>
          </details>
        ) : null,
      )}
    </section>
  );
}
