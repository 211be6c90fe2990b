import { useEffect, useState } from "hono/jsx/dom";
import { ApiError, api } from "../../api.ts";
import { percentProblem } from "../../validate.ts";

type Example = {
  externalId: string;
  displayName: string | null;
  email: string | null;
  aliases: string[];
};

/**
 * The alias template tried live on real directory users (Entra's "Test expression"): the
 * aliases the template being typed gives the first few users, as a run would build them.
 * An unmatched `%` is refused at once, before any request.
 */
export function AliasExample({
  connectionId,
  template,
}: {
  connectionId: string | null;
  template: string;
}) {
  const [examples, setExamples] = useState<Example[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const local = percentProblem(template);

  useEffect(() => {
    if (!connectionId || local) {
      setExamples(null);
      return;
    }
    const timer = setTimeout(() => {
      api<{ examples: Example[] }>(
        "POST",
        `/api/user-sync/connections/${connectionId}/alias-example`,
        { aliasTemplate: template },
      ).then(
        (answer) => {
          setProblem(null);
          setExamples(answer.examples);
        },
        (error: unknown) => {
          setExamples(null);
          setProblem(
            error instanceof ApiError && Array.isArray(error.details)
              ? (error.details as { message: string }[]).map((detail) => detail.message).join(" ")
              : error instanceof Error
                ? error.message
                : String(error),
          );
        },
      );
    }, 500);
    return () => clearTimeout(timer);
  }, [connectionId, template, local]);

  return (
    <div class="alias-example" aria-live="polite" data-testid="alias-example">
      {local ? <p class="field-error">{local}</p> : null}
      {!local && problem ? <p class="field-error">{problem}</p> : null}
      {!connectionId ? (
        <p class="muted">Save the connection to try the template on real directory users.</p>
      ) : null}
      {examples ? (
        <table class="example-table">
          <caption>Example from your directory</caption>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Aliases</th>
            </tr>
          </thead>
          <tbody>
            {examples.map((example) => (
              <tr>
                <td>{example.displayName ?? example.email ?? example.externalId}</td>
                <td data-testid="example-aliases">
                  {example.aliases.length > 0 ? (
                    example.aliases.join(", ")
                  ) : (
                    <span class="muted">none (a field is empty for this user)</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
