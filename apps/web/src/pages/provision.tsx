import { useEffect, useState } from "hono/jsx/dom";
import { api, type Connection, type Page, type Run } from "../api.ts";

export type Explanation = {
  directoryUser: {
    externalId: string;
    email: string | null;
    displayName: string | null;
    enabled: boolean;
  };
  inScope: boolean;
  match: {
    by: "directory_id" | "email" | "none";
    userId: string | null;
    email: string | null;
    deleted: boolean;
  };
  action: string;
  rule: { code: string; text: string };
  changes: { field: string; before: string | null; after: string | null }[];
  aliases: {
    wanted: string[];
    granted: string[];
    removed: string[];
    refused: { alias: string; ownerId: string | null; ownerEmail: string | null }[];
  };
  warnings: { code: string; message: string }[];
  failure: { code: string; message: string } | null;
};

const MATCHED = {
  directory_id:
    "Matched by directory id: the user this connection synced from this directory object.",
  email: "Matched by email: an application user with the same email (compared ignoring case).",
  none: "No application user matched by directory id or email.",
};

const ACTION_TITLE: Record<string, string> = {
  create: "Created",
  restore: "Restored",
  update: "Updated",
  unchanged: "Unchanged",
  skipped: "Skipped",
  failed: "Failed",
};

/** What one directory user led to and why: the match, the rule, each attribute before → after. */
export function ExplanationView({
  explanation,
  dryRun,
}: {
  explanation: Explanation;
  dryRun: boolean;
}) {
  const { directoryUser: user, aliases } = explanation;
  return (
    <section class="explanation card" aria-labelledby="explanation-title" data-testid="explanation">
      <h2 id="explanation-title" tabindex={-1}>
        {dryRun
          ? `Would be ${(ACTION_TITLE[explanation.action] ?? explanation.action).toLowerCase()}`
          : (ACTION_TITLE[explanation.action] ?? explanation.action)}
        : {user.displayName ?? user.email ?? user.externalId}
      </h2>
      <p data-testid="explanation-rule">
        <strong>Rule:</strong> {explanation.rule.text}
      </p>
      <dl class="facts">
        <div>
          <dt>Directory id</dt>
          <dd class="mono">{user.externalId}</dd>
        </div>
        <div>
          <dt>Directory email</dt>
          <dd>{user.email ?? "none"}</dd>
        </div>
        <div>
          <dt>Account</dt>
          <dd>{user.enabled ? "enabled" : "disabled"}</dd>
        </div>
        <div>
          <dt>In scope</dt>
          <dd>{explanation.inScope ? "yes" : "no"}</dd>
        </div>
      </dl>
      {explanation.inScope ? (
        <p data-testid="explanation-match">
          {MATCHED[explanation.match.by]}
          {explanation.match.userId ? (
            <>
              {" "}
              <a href={`#/users/${explanation.match.userId}`}>{explanation.match.email}</a>
              {explanation.match.deleted ? " (deleted)" : ""}
            </>
          ) : null}
        </p>
      ) : null}
      {explanation.changes.length > 0 ? (
        <section class="table-wrap" tabindex={0} aria-label="Scrollable table">
          <table data-testid="explanation-changes">
            <caption>Attributes, before → after</caption>
            <thead>
              <tr>
                <th scope="col">Attribute</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {explanation.changes.map((change) => (
                <tr>
                  <th scope="row">{change.field}</th>
                  <td>{change.before ?? "—"}</td>
                  <td>{change.after ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : explanation.inScope &&
        explanation.action !== "failed" &&
        explanation.action !== "skipped" ? (
        <p class="muted">No attribute differs.</p>
      ) : null}
      {aliases.wanted.length > 0 ? (
        <p data-testid="explanation-aliases">
          <strong>Aliases:</strong> the template gives {aliases.wanted.join(", ")}
          {aliases.granted.length > 0 ? `; taken: ${aliases.granted.join(", ")}` : ""}
          {aliases.removed.length > 0 ? `; given up: ${aliases.removed.join(", ")}` : ""}.
        </p>
      ) : null}
      {aliases.refused.map((refusal) => (
        <p class="alert warn" data-testid="alias-refused">
          Refused “{refusal.alias}”: it belongs to{" "}
          {refusal.ownerId ? (
            <a href={`#/users/${refusal.ownerId}`}>{refusal.ownerEmail ?? "another user"}</a>
          ) : (
            "another user"
          )}
          .
        </p>
      ))}
      {explanation.warnings
        .filter((warning) => warning.code !== "alias_taken")
        .map((warning) => (
          <p class="alert warn">{warning.message}</p>
        ))}
    </section>
  );
}

type Outcome = { run: Run | null; explanation: Explanation; dryRun: boolean };

/** Runs a provision (or its dry run) and shows the result, focusing it and announcing it. */
export function useProvision(connectionId: string | null) {
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (outcome) document.getElementById("explanation-title")?.focus();
  }, [outcome]);
  const provision = async (key: { externalId?: string; email?: string }, dryRun: boolean) => {
    if (!connectionId) return;
    setBusy(true);
    setProblem(null);
    setOutcome(null);
    try {
      const answer = await api<{ run: Run | null; explanation: Explanation }>(
        "POST",
        `/api/user-sync/connections/${connectionId}/provision`,
        { ...key, dryRun },
      );
      setOutcome({ ...answer, dryRun });
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };
  const view = (
    <div aria-live="polite">
      {problem ? (
        <p class="alert error" data-testid="provision-error">
          {problem}
        </p>
      ) : null}
      {outcome ? (
        <>
          <ExplanationView explanation={outcome.explanation} dryRun={outcome.dryRun} />
          {outcome.run ? (
            <p>
              Written by a run of one user: <a href={`#/runs/${outcome.run.id}`}>run details</a>.
            </p>
          ) : outcome.dryRun ? (
            <p class="muted">Nothing was written.</p>
          ) : null}
        </>
      ) : null}
    </div>
  );
  return { provision, busy, view };
}

/** Provision on demand by email or directory id: sync that one user now and see why. */
export function ProvisionPage({ connectionId }: { connectionId: string | null }) {
  const [connections, setConnections] = useState<Connection[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(connectionId);
  const [key, setKey] = useState("");
  const [missing, setMissing] = useState(false);
  const { provision, busy, view } = useProvision(chosen);
  useEffect(() => {
    void api<Page<Connection>>("GET", "/api/user-sync/connections?limit=100").then((page) => {
      const usable = page.items.filter((c) => c.status === "connected");
      setConnections(usable);
      if (!chosen && usable[0]) setChosen(usable[0].id);
    });
  }, []);
  const go = (dryRun: boolean) => {
    const value = key.trim();
    if (!value) {
      setMissing(true);
      document.getElementById("provision-key")?.focus();
      return;
    }
    setMissing(false);
    void provision(value.includes("@") ? { email: value } : { externalId: value }, dryRun);
  };
  return (
    <main>
      <p>
        <a href="#/sync">← User synchronization</a>
      </p>
      <h1>Provision on demand</h1>
      <p class="muted">
        Synchronize one user now with the connection's rules, and see what happened and why.
      </p>
      {connections && connections.length === 0 ? (
        <p class="alert warn">Connect a directory first.</p>
      ) : null}
      <form
        class="provision-form"
        noValidate
        onSubmit={(event: Event) => {
          event.preventDefault();
          go(false);
        }}
      >
        <div class="field">
          <label for="provision-connection">Connection</label>
          <select
            id="provision-connection"
            value={chosen ?? ""}
            onChange={(event: Event) => setChosen((event.target as HTMLSelectElement).value)}
          >
            {(connections ?? []).map((c) => (
              <option value={c.id}>{c.name}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="provision-key">Email or directory id</label>
          <input
            id="provision-key"
            value={key}
            autocomplete="off"
            aria-invalid={missing ? "true" : undefined}
            aria-describedby={missing ? "provision-key-error" : undefined}
            onInput={(event: Event) => setKey((event.target as HTMLInputElement).value)}
          />
          {missing ? (
            <p class="field-error" id="provision-key-error">
              Enter the user's email or directory id.
            </p>
          ) : null}
        </div>
        <div class="actions">
          <button type="button" disabled={busy || !chosen} onClick={() => go(true)}>
            Check (writes nothing)
          </button>
          <button type="submit" class="primary" disabled={busy || !chosen}>
            {busy ? "Working…" : "Provision now"}
          </button>
        </div>
      </form>
      {view}
    </main>
  );
}

type RunExplanation = {
  run: Run;
  recorded: {
    userId: string | null;
    changes: { kind: string; at: string }[];
    issues: { kind: string; code: string; message: string }[];
  };
  now: Explanation;
};

/** One user of a run: what the run recorded for it, and how the rules decide it now. */
export function RunUserPage({ runId, externalId }: { runId: string; externalId: string }) {
  const [answer, setAnswer] = useState<RunExplanation | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    api<RunExplanation>(
      "GET",
      `/api/user-sync/runs/${runId}/explain?externalId=${encodeURIComponent(externalId)}`,
    ).then(setAnswer, (error: Error) => setProblem(error.message));
  }, [runId, externalId]);
  return (
    <main>
      <p>
        <a href={`#/runs/${runId}`}>← Run details</a>
      </p>
      <h1>Why this user?</h1>
      {problem ? <p class="alert error">{problem}</p> : null}
      {!answer && !problem ? <p class="muted">Reading the user from the directory…</p> : null}
      {answer ? (
        <>
          <h2>What this run recorded</h2>
          {answer.recorded.changes.length === 0 && answer.recorded.issues.length === 0 ? (
            <p class="muted">The run neither changed this user nor recorded a problem.</p>
          ) : (
            <ul data-testid="run-recorded">
              {answer.recorded.changes.map((change) => (
                <li>{change.kind}</li>
              ))}
              {answer.recorded.issues.map((issue) => (
                <li>
                  {issue.kind}: {issue.message}
                </li>
              ))}
            </ul>
          )}
          <p class="muted">
            Below: the same rules applied to the user as the directory has it now (the run's own
            moment cannot be replayed; nothing is written).
          </p>
          <ExplanationView explanation={answer.now} dryRun={true} />
        </>
      ) : null}
    </main>
  );
}
