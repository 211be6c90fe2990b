import { type Connection, type PreviewJob, when } from "../../api.ts";

/**
 * What Sync now is about to do that cannot be taken back — PIN emails sent, users deleted —
 * from the latest preview, or, without one, what the settings imply. Null: nothing to say.
 */
export function sideEffectsOf(connection: Connection, preview: PreviewJob | null): string | null {
  const settings = connection.settings as { sendPinEmails?: boolean; manageUserDeletion?: boolean };
  const counts = preview?.result?.counts;
  if (!counts) {
    if (!settings.sendPinEmails) return null;
    return "Every new or restored user will be sent a PIN email. Run Preview first to see how many.";
  }
  const parts: string[] = [];
  const emails = counts.created + counts.restored;
  if (settings.sendPinEmails && emails > 0)
    parts.push(`send ${emails.toLocaleString()} PIN emails`);
  if (counts.deleted > 0) parts.push(`delete ${counts.deleted.toLocaleString()} users`);
  if (parts.length === 0) return null;
  return `This run will ${parts.join(" and ")} (from the preview of ${when(preview?.startedAt ?? null)}).`;
}

/** Asks before a run with side effects: the admin reads them, then confirms or goes back. */
export function ConfirmSync(props: { text: string; onConfirm: () => void; onBack: () => void }) {
  return (
    <div class="alert warn confirm-sync" data-testid="sync-side-effects">
      <p>{props.text}</p>
      <div class="actions">
        <button type="button" class="primary" onClick={props.onConfirm}>
          Sync now
        </button>
        <button type="button" onClick={props.onBack}>
          Back
        </button>
      </div>
    </div>
  );
}
