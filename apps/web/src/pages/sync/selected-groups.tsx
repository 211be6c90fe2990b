import { useEffect, useState } from "hono/jsx/dom";
import { api } from "../../api.ts";

type Selected = {
  externalId: string;
  name: string | null;
  groupId: string | null;
  memberCount: number | null;
};

/** The card's groups by name, each opening its synchronized members once a run mirrored it. */
export function SelectedGroups({
  connectionId,
  settingsKey,
}: {
  connectionId: string;
  /** Changes when the settings do: the list is asked for again. */
  settingsKey: string;
}) {
  const [groups, setGroups] = useState<Selected[] | null>(null);
  useEffect(() => {
    void api<{ items: Selected[] }>("GET", `/api/user-sync/connections/${connectionId}/groups`)
      .then((page) => setGroups(page.items))
      .catch(() => setGroups([]));
  }, [connectionId, settingsKey]);
  if (!groups || groups.length === 0) return null;
  return (
    <div class="selected-groups" data-testid="card-groups">
      <h3>Groups</h3>
      <ul>
        {groups.map((group) => (
          <li>
            {group.groupId ? (
              <a href={`#/groups/${group.groupId}`}>{group.name ?? group.externalId}</a>
            ) : (
              <span>{group.name ?? group.externalId}</span>
            )}{" "}
            <span class="muted">
              {group.memberCount === null
                ? "· members after the next run"
                : `· ${group.memberCount} member${group.memberCount === 1 ? "" : "s"}`}
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}
