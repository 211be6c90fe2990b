import { useEffect, useState } from "hono/jsx/dom";
import { type Counts, duration, type Progress } from "../../api.ts";

const PHASES: Record<Progress["phase"], string> = {
  starting: "Starting",
  reading: "Reading the directory",
  writing: "Writing users",
  deleting: "Deleting users",
  groups: "Mirroring groups",
  emails: "Queuing emails",
  done: "Finishing",
};

/** Re-renders every second, so the elapsed time moves between two polls. */
function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

const LIVE_COUNTS: (keyof Counts)[] = ["created", "updated", "restored", "deleted", "failed"];

/**
 * Live progress of a run or preview: the phase, pages and users read, counts so far, the
 * time since it started, and Cancel.
 */
export function LiveProgress(props: {
  label: string;
  startedAt: string;
  progress: Progress | null;
  cancelRequested: boolean;
  onCancel: () => Promise<void>;
}) {
  const now = useNow();
  const [cancelling, setCancelling] = useState(false);
  const progress = props.progress;
  const phase = progress ? PHASES[progress.phase] : PHASES.starting;
  const asked = props.cancelRequested || cancelling;
  return (
    <div class="live-progress" data-testid="live-progress">
      <p>
        <span class="spinner" aria-hidden="true" /> <strong>{props.label}:</strong>{" "}
        <span data-testid="progress-phase">{phase}</span> ·{" "}
        <span data-testid="progress-pages">{progress?.pagesRead ?? 0}</span> pages,{" "}
        <span data-testid="progress-users">{(progress?.usersRead ?? 0).toLocaleString()}</span>{" "}
        users read ·{" "}
        <span data-testid="progress-elapsed">{duration(now - Date.parse(props.startedAt))}</span>
      </p>
      {progress ? (
        <p class="muted progress-counts">
          {LIVE_COUNTS.map((key) => `${progress.counts[key].toLocaleString()} ${key}`).join(" · ")}
        </p>
      ) : null}
      <button
        type="button"
        class="danger"
        disabled={asked}
        onClick={async () => {
          setCancelling(true);
          await props.onCancel().catch(() => setCancelling(false));
        }}
      >
        {asked ? "Cancelling…" : "Cancel"}
      </button>
    </div>
  );
}
