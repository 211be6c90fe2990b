import { useEffect, useState } from "hono/jsx/dom";
import { api, type Page, type RunIssue } from "../api.ts";

export type IssueKind = RunIssue["kind"];
const PAGE = 50;

/** Waits until typing pauses before searching. */
function useDebounced<T>(value: T, ms = 300): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value]);
  return settled;
}

/**
 * A run's issues of one kind, paged from the API (50 at a time, "Show more"), searchable by
 * name, email, directory id or message, filterable by reason, exportable as CSV with the same
 * filters. The list stays short however many issues the run has.
 */
export function IssueList(props: {
  runId: string;
  kind: IssueKind;
  total: number;
  code: string | null;
  onCode: (code: string | null) => void;
  label: string;
}) {
  const [query, setQuery] = useState("");
  const search = useDebounced(query.trim());
  const [items, setItems] = useState<RunIssue[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const params = (cursor?: string | null) => {
    const out = new URLSearchParams({ kind: props.kind });
    if (props.code) out.set("code", props.code);
    if (search) out.set("query", search);
    if (cursor) {
      out.set("cursor", cursor);
    }
    return out;
  };
  const load = async (cursor: string | null) => {
    setLoading(true);
    const query = params(cursor);
    query.set("limit", String(PAGE));
    const page = await api<Page<RunIssue>>(
      "GET",
      `/api/user-sync/runs/${props.runId}/issues?${query}`,
    );
    setItems(cursor ? (previous) => [...previous, ...page.items] : page.items);
    setNext(page.nextCursor);
    setLoading(false);
  };
  useEffect(() => {
    void load(null);
  }, [props.runId, props.kind, props.code, search]);
  const id = `search-${props.kind}`;
  return (
    <div class="issue-list" data-testid={`issues-${props.kind}`}>
      <div class="filters">
        <div class="field">
          <label for={id}>Search {props.label.toLowerCase()}</label>
          <input
            id={id}
            type="search"
            placeholder="Name, email, directory id or reason"
            value={query}
            onInput={(event: Event) => setQuery((event.target as HTMLInputElement).value)}
          />
        </div>
        {props.code ? (
          <p>
            Reason <code>{props.code}</code>{" "}
            <button type="button" class="link" onClick={() => props.onCode(null)}>
              show all reasons
            </button>
          </p>
        ) : null}
        <a
          class="button"
          href={`/api/user-sync/runs/${props.runId}/issues.csv?${params()}`}
          download
          data-testid={`export-${props.kind}`}
        >
          Export CSV
        </a>
      </div>
      <p class="muted" aria-live="polite" data-testid={`shown-${props.kind}`}>
        {loading && items.length === 0
          ? "Loading…"
          : props.code || search
            ? `${items.length.toLocaleString()}${next ? "+" : ""} matching.`
            : `Showing ${items.length.toLocaleString()} of ${props.total.toLocaleString()} ${props.label.toLowerCase()}.`}
      </p>
      {items.length === 0 && !loading ? (
        <p class="muted">None{search || props.code ? " match" : ""}.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Name</th>
                <th>Email</th>
                <th>Directory id</th>
                <th>{props.kind === "pending_deletion" ? "Why" : "Reason"}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((issue) => (
                <tr>
                  <td>{issue.displayName ?? "—"}</td>
                  <td>{issue.email ?? "—"}</td>
                  <td class="mono">{issue.externalId ?? "—"}</td>
                  <td>
                    {issue.message}
                    {issue.kind === "failure" && issue.externalId ? (
                      <>
                        {" "}
                        <a
                          href={`#/runs/${props.runId}/users/${encodeURIComponent(issue.externalId)}`}
                          aria-label={`Why: ${issue.email ?? issue.displayName ?? issue.externalId}`}
                        >
                          Why?
                        </a>
                      </>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {next ? (
        <button type="button" disabled={loading} onClick={() => void load(next)}>
          Show {PAGE} more
        </button>
      ) : null}
    </div>
  );
}
