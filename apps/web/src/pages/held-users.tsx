import { useState } from "hono/jsx/dom";
import { api } from "../api.ts";

export type HeldUser = {
  userId: string | null;
  externalId: string | null;
  email: string | null;
  displayName: string | null;
  reason: string;
};

/**
 * Existing users a run would not link, convert or restore without an administrator
 * (spec §4.11), each to confirm or to leave alone; then the run goes again.
 */
export function HeldUsers(props: {
  runId: string;
  users: HeldUser[];
  pendingDeletions: number;
  onStarted(runId: string): void;
}) {
  const [decisions, setDecisions] = useState<Record<string, "confirm" | "leave">>({});
  const [error, setError] = useState<string | null>(null);
  const decided = (userId: string) => decisions[userId] ?? "confirm";
  const submit = async () => {
    setError(null);
    const ids = props.users.flatMap((user) => (user.userId ? [user.userId] : []));
    try {
      const { run } = await api<{ run: { id: string } }>(
        "POST",
        `/api/user-sync/runs/${props.runId}/confirm-deletions`,
        {
          confirmUsers: ids.filter((id) => decided(id) === "confirm"),
          leaveAlone: ids.filter((id) => decided(id) === "leave"),
        },
      );
      props.onStarted(run.id);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  return (
    <section class="alert warn" aria-label="Users waiting for a confirmation">
      <h2>Existing users the directory would take over ({props.users.length})</h2>
      <p>
        These users hold a role or a password. Confirm to link them to the directory (they will sign
        in through it, their password is removed, their sessions end; a restored user comes back
        with the role User only), or leave them alone: this connection will never take them over.
        {props.pendingDeletions > 0
          ? ` Running again also deletes the ${props.pendingDeletions} users the deletion limit held back.`
          : ""}
      </p>
      <div class="table-wrap">
        <table data-testid="held-users">
          <thead>
            <tr>
              <th>Name</th>
              <th>Email</th>
              <th>Why</th>
              <th>Decision</th>
            </tr>
          </thead>
          <tbody>
            {props.users.map((user) => (
              <tr>
                <td>{user.displayName ?? "—"}</td>
                <td>{user.email ?? "—"}</td>
                <td>{user.reason}</td>
                <td>
                  <select
                    aria-label={`Decision for ${user.email ?? user.displayName ?? "this user"}`}
                    value={user.userId ? decided(user.userId) : "leave"}
                    onChange={(event: Event) => {
                      if (!user.userId) return;
                      const value = (event.target as HTMLSelectElement).value as
                        | "confirm"
                        | "leave";
                      setDecisions({ ...decisions, [user.userId]: value });
                    }}
                  >
                    <option value="confirm">Confirm</option>
                    <option value="leave">Leave alone</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {error ? <p class="alert error">{error}</p> : null}
      <button type="button" class="danger" onClick={submit}>
        Run again with these decisions
      </button>
    </section>
  );
}
