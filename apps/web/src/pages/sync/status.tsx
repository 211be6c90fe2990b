/** What the card says now: one area per card, replaced (not added to) by each action. */
export type Status = { kind: "error" | "ok" | "warn"; text: string } | null;

/**
 * The card's single status area. It is always in the page (empty when there is nothing to
 * say) so that screen readers announce each new message.
 */
export function StatusArea({ status }: { status: Status }) {
  return (
    <div class="status-area" aria-live="polite" data-testid="card-status">
      {status ? <p class={`alert ${status.kind}`}>{status.text}</p> : null}
    </div>
  );
}
