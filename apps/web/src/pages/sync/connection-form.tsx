import { useEffect, useState } from "hono/jsx/dom";
import { ApiError, api, type Connection, type ConnectorInfo } from "../../api.ts";
import { type FieldErrors, idOf, SchemaForm } from "../../schema-form.tsx";
import { NAME_MAX, nameProblem, validateSettings } from "../../validate.ts";

/** validation_failed details → messages keyed by the field's path inside `settings`. */
export function fieldErrors(error: unknown): FieldErrors {
  if (
    !(error instanceof ApiError) ||
    error.code !== "validation_failed" ||
    !Array.isArray(error.details)
  )
    return {};
  const out: FieldErrors = {};
  for (const issue of error.details as { path: string[]; message: string }[]) {
    const path = issue.path[0] === "settings" ? issue.path.slice(1) : [`#${issue.path[0]}`];
    out[path.join(".")] ??= issue.message;
  }
  return out;
}

type Draft = {
  name: string;
  settings: Record<string, unknown>;
  secret: string;
  secretExpiresAt: string;
};

/** The id of the input that shows an error key (form-level fields start with `#`). */
const inputOf = (key: string) =>
  key.startsWith("#") ? `field-${key.slice(1)}` : idOf(key.split("."));

/**
 * A connection's settings: the connector's JSON Schema as a form, checked in the browser
 * before Save with every problem shown at once next to its field, the first one focused.
 */
export function ConnectionForm(props: {
  connector: ConnectorInfo;
  connection: Connection | null;
  onSaved: (c: Connection) => void;
  onCancel: () => void;
}) {
  const { connector, connection } = props;
  const [draft, setDraft] = useState<Draft>({
    name: connection?.name ?? connector.displayName,
    settings: connection?.settings ?? {},
    secret: "",
    secretExpiresAt: connection?.secretExpiresAt?.slice(0, 10) ?? "",
  });
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [focusFirst, setFocusFirst] = useState(0);

  // Opening the form puts the keyboard in its first field.
  useEffect(() => {
    document.getElementById("field-name")?.focus();
  }, []);
  // After a refused Save, the first field in error gets the focus.
  useEffect(() => {
    if (focusFirst === 0) return;
    const first = Array.from(document.querySelectorAll<HTMLElement>("[aria-invalid=true]"))[0];
    first?.focus();
  }, [focusFirst]);

  const check = (next: Draft): FieldErrors => {
    const found = validateSettings(connector.settingsSchema, next.settings);
    const name = nameProblem(next.name);
    if (name) found["#name"] = name;
    if (!connection && next.secret.trim() === "") found["#secret"] = "This field is required.";
    return found;
  };

  const update = (next: Draft) => {
    setDraft(next);
    // Once a Save was refused, errors follow the typing (and disappear when fixed).
    if (Object.keys(errors).length > 0) setErrors(check(next));
  };

  const save = async (event: Event) => {
    event.preventDefault();
    setMessage(null);
    const found = check(draft);
    setErrors(found);
    if (Object.keys(found).length > 0) {
      const count = Object.keys(found).length;
      setMessage(`${count} field${count > 1 ? "s need" : " needs"} attention.`);
      setFocusFirst(focusFirst + 1);
      return;
    }
    const body = {
      name: draft.name.trim() || connector.displayName,
      settings: draft.settings,
      ...(draft.secret ? { secret: draft.secret } : {}),
      secretExpiresAt: draft.secretExpiresAt || null,
    };
    setSaving(true);
    try {
      const saved = connection
        ? await api<Connection>("PATCH", `/api/user-sync/connections/${connection.id}`, body)
        : await api<Connection>("POST", "/api/user-sync/connections", {
            type: connector.type,
            ...body,
            secret: draft.secret,
          });
      props.onSaved(saved);
    } catch (error) {
      const fromServer = fieldErrors(error);
      setErrors(fromServer);
      const count = Object.keys(fromServer).length;
      setMessage(
        count > 0
          ? `${count} field${count > 1 ? "s need" : " needs"} attention.`
          : error instanceof Error
            ? error.message
            : String(error),
      );
      setFocusFirst(focusFirst + 1);
    } finally {
      setSaving(false);
    }
  };

  const invalid = (key: string) => (errors[key] ? "true" : undefined);
  const described = (key: string) => (errors[key] ? `${inputOf(key)}-error` : undefined);
  const error = (key: string) =>
    errors[key] ? (
      <p class="field-error" id={`${inputOf(key)}-error`}>
        {errors[key]}
      </p>
    ) : null;

  return (
    <form
      class="connection-form"
      onSubmit={save}
      noValidate
      aria-label={`${connector.displayName} settings`}
    >
      <div class="field">
        <label for="field-name">Name</label>
        <input
          id="field-name"
          value={draft.name}
          aria-invalid={invalid("#name")}
          aria-describedby={described("#name")}
          onInput={(event: Event) =>
            update({ ...draft, name: (event.target as HTMLInputElement).value })
          }
        />
        <p class="help">Up to {NAME_MAX} characters.</p>
        {error("#name")}
      </div>
      <SchemaForm
        schema={connector.settingsSchema}
        value={draft.settings}
        errors={errors}
        connectionId={connection?.id ?? null}
        onChange={(settings) => update({ ...draft, settings })}
      />
      <div class="field">
        <label for="field-secret">
          {connector.secretLabel}
          {connection ? "" : " *"}
        </label>
        <input
          id="field-secret"
          type="password"
          autocomplete="off"
          placeholder={connection?.secretSet ? "Set — leave empty to keep it" : ""}
          value={draft.secret}
          aria-invalid={invalid("#secret")}
          aria-describedby={described("#secret")}
          onInput={(event: Event) =>
            update({ ...draft, secret: (event.target as HTMLInputElement).value })
          }
        />
        {error("#secret")}
      </div>
      <div class="field">
        <label for="field-secretExpiresAt">Secret expiration date</label>
        <input
          id="field-secretExpiresAt"
          type="date"
          value={draft.secretExpiresAt}
          aria-invalid={invalid("#secretExpiresAt")}
          aria-describedby={described("#secretExpiresAt")}
          onChange={(event: Event) =>
            update({ ...draft, secretExpiresAt: (event.target as HTMLInputElement).value })
          }
        />
        <p class="help">You are warned 7 days before it expires.</p>
        {error("#secretExpiresAt")}
      </div>
      <div aria-live="polite">
        {message ? (
          <p class="alert error" data-testid="form-message">
            {message}
          </p>
        ) : null}
      </div>
      <div class="actions">
        <button type="submit" class="primary" disabled={saving}>
          {saving ? "Saving…" : "Save"}
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
