import { useEffect, useState } from "hono/jsx/dom";
import { api } from "../../api.ts";

type Match = { externalId: string; name: string; detail: string | null };

/**
 * Picks directory groups by name instead of typing their ids: a search box that asks the
 * directory (debounced), results to add, the chosen groups by name with Remove.
 */
export function GroupPicker(props: {
  id: string;
  label: string;
  help?: string;
  connectionId: string;
  value: string[];
  onChange: (ids: string[]) => void;
  invalid: boolean;
  describedBy?: string;
}) {
  const { connectionId, value } = props;
  const [names, setNames] = useState<Record<string, string>>({});
  const [query, setQuery] = useState("");
  const [matches, setMatches] = useState<Match[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  // Names of the groups already chosen (known once a run mirrored them).
  useEffect(() => {
    void api<{ items: { externalId: string; name: string | null }[] }>(
      "GET",
      `/api/user-sync/connections/${connectionId}/groups`,
    )
      .then((page) =>
        setNames((known) => ({
          ...Object.fromEntries(
            page.items.flatMap((group) => (group.name ? [[group.externalId, group.name]] : [])),
          ),
          ...known,
        })),
      )
      .catch(() => {});
  }, [connectionId]);

  useEffect(() => {
    if (query.trim() === "") {
      setMatches(null);
      return;
    }
    const timer = setTimeout(() => {
      api<{ items: Match[] }>(
        "GET",
        `/api/user-sync/connections/${connectionId}/groups/search?query=${encodeURIComponent(query.trim())}`,
      ).then(
        (page) => {
          setProblem(null);
          setMatches(page.items);
        },
        (error: Error) => {
          setMatches([]);
          setProblem(error.message);
        },
      );
    }, 300);
    return () => clearTimeout(timer);
  }, [query, connectionId]);

  const add = (group: Match) => {
    setNames({ ...names, [group.externalId]: group.name });
    if (!value.includes(group.externalId)) props.onChange([...value, group.externalId]);
    setQuery("");
    document.getElementById(props.id)?.focus();
  };
  const remove = (id: string) => {
    props.onChange(value.filter((chosen) => chosen !== id));
    document.getElementById(props.id)?.focus();
  };

  return (
    <div class="group-picker">
      <label for={props.id}>{props.label}</label>
      {value.length > 0 ? (
        <ul class="chosen-groups" aria-label="Chosen groups" data-testid="chosen-groups">
          {value.map((id) => (
            <li>
              <span>{names[id] ?? id}</span>
              {names[id] ? <span class="muted mono"> {id}</span> : null}
              <button
                type="button"
                class="link"
                aria-label={`Remove ${names[id] ?? id}`}
                onClick={() => remove(id)}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p class="muted">No group chosen yet.</p>
      )}
      <input
        id={props.id}
        type="search"
        autocomplete="off"
        placeholder="Search groups by name"
        value={query}
        aria-invalid={props.invalid ? "true" : undefined}
        aria-describedby={[props.describedBy, `${props.id}-help`].filter(Boolean).join(" ")}
        aria-controls={`${props.id}-results`}
        onInput={(event: Event) => setQuery((event.target as HTMLInputElement).value)}
      />
      {props.help ? (
        <p class="help" id={`${props.id}-help`}>
          {props.help}
        </p>
      ) : null}
      <div id={`${props.id}-results`} aria-live="polite">
        {problem ? <p class="field-error">{problem}</p> : null}
        {matches && matches.length === 0 && !problem ? (
          <p class="muted">No group's name starts with “{query.trim()}”.</p>
        ) : null}
        {matches && matches.length > 0 ? (
          <ul class="group-matches" aria-label="Matching groups">
            {matches.map((group) => (
              <li>
                <button
                  type="button"
                  disabled={value.includes(group.externalId)}
                  onClick={() => add(group)}
                >
                  Add {group.name}
                </button>
                {group.detail ? <span class="muted"> {group.detail}</span> : null}
              </li>
            ))}
          </ul>
        ) : null}
      </div>
    </div>
  );
}
