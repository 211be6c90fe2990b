import type { JsonSchema } from "./api.ts";
import { AliasExample } from "./pages/sync/alias-example.tsx";
import { GroupPicker } from "./pages/sync/group-picker.tsx";

/** "selectedGroups" → "Selected groups": readable labels for enum values and consts. */
export const humanize = (value: string) => {
  const words = value.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

export type FieldErrors = Record<string, string>;

type FieldProps = {
  path: string[];
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  errors: FieldErrors;
  required?: boolean;
  /** The saved connection the form edits (null while creating): the directory tools need it. */
  connectionId?: string | null;
};

export const idOf = (path: string[]) => `field-${path.join("-")}`;

/** The field's error, next to it; the input points at it with aria-describedby. */
function ErrorText({ path, errors }: { path: string[]; errors: FieldErrors }) {
  const message = errors[path.join(".")];
  return message ? (
    <p class="field-error" id={`${idOf(path)}-error`}>
      {message}
    </p>
  ) : null;
}

function Label({
  path,
  schema,
  required,
}: {
  path: string[];
  schema: JsonSchema;
  required?: boolean;
}) {
  return (
    <label for={idOf(path)}>
      {schema.title ?? humanize(path.at(-1) ?? "")}
      {required ? <span aria-hidden="true"> *</span> : null}
    </label>
  );
}

const Help = ({ schema }: { schema: JsonSchema }) =>
  schema.description ? <p class="help">{schema.description}</p> : null;

/**
 * One settings field rendered from its JSON Schema: checkbox, select, one-of switch,
 * comma-separated list, nested group or text — so a new connector needs no UI code.
 */
export function SchemaField(props: FieldProps) {
  const { path, schema, value, onChange, errors, required, connectionId } = props;
  const id = idOf(path);
  const invalid = errors[path.join(".")] ? "true" : undefined;
  const described = invalid ? `${id}-error` : undefined;

  if (schema.oneOf) {
    const key =
      Object.keys(schema.oneOf[0]?.properties ?? {}).find(
        (name) => schema.oneOf?.[0]?.properties?.[name]?.const !== undefined,
      ) ?? "mode";
    const current = (value as Record<string, unknown> | undefined) ?? {};
    const chosen =
      schema.oneOf.find((variant) => variant.properties?.[key]?.const === current[key]) ??
      schema.oneOf[0];
    return (
      <div class="field">
        <Label path={path} schema={schema} required={required} />
        <select
          id={id}
          value={String(chosen?.properties?.[key]?.const ?? "")}
          onChange={(event: Event) =>
            onChange({ [key]: (event.target as HTMLSelectElement).value })
          }
        >
          {schema.oneOf.map((variant) => {
            const option = String(variant.properties?.[key]?.const);
            return <option value={option}>{humanize(option)}</option>;
          })}
        </select>
        <Help schema={schema} />
        {Object.entries(chosen?.properties ?? {})
          .filter(([name]) => name !== key)
          .map(([name, child]) => (
            <SchemaField
              path={[...path, name]}
              schema={{ ...child, title: child.title ?? humanize(name) }}
              value={current[name]}
              onChange={(next) => onChange({ ...current, [name]: next })}
              errors={errors}
              required={chosen?.required?.includes(name)}
              connectionId={connectionId}
            />
          ))}
        <ErrorText path={path} errors={errors} />
      </div>
    );
  }

  if (schema.type === "boolean") {
    return (
      <div class="field checkbox">
        <input
          id={id}
          type="checkbox"
          checked={Boolean(value ?? schema.default)}
          onChange={(event: Event) => onChange((event.target as HTMLInputElement).checked)}
        />
        <div>
          <Label path={path} schema={schema} />
          <Help schema={schema} />
        </div>
      </div>
    );
  }

  if (schema.type === "object" && schema.properties) {
    const current =
      (value as Record<string, unknown> | undefined) ??
      (schema.default as Record<string, unknown>) ??
      {};
    return (
      <fieldset class="field group">
        <legend>{schema.title ?? humanize(path.at(-1) ?? "")}</legend>
        <Help schema={schema} />
        <div class="inline-fields">
          {Object.entries(schema.properties).map(([name, child]) => (
            <SchemaField
              path={[...path, name]}
              schema={child}
              value={current[name]}
              onChange={(next) => onChange({ ...current, [name]: next })}
              errors={errors}
              connectionId={connectionId}
            />
          ))}
        </div>
      </fieldset>
    );
  }

  if (schema.enum) {
    return (
      <div class="field">
        <Label path={path} schema={schema} required={required} />
        <select
          id={id}
          value={String(value ?? schema.default ?? "")}
          onChange={(event: Event) => onChange((event.target as HTMLSelectElement).value)}
        >
          {schema.enum.map((option) => (
            <option value={option}>{humanize(option)}</option>
          ))}
        </select>
        <Help schema={schema} />
        <ErrorText path={path} errors={errors} />
      </div>
    );
  }

  if (
    schema.type === "array" &&
    (schema as { "x-picker"?: string })["x-picker"] === "directory-groups" &&
    connectionId
  ) {
    return (
      <div class="field">
        <GroupPicker
          id={id}
          label={schema.title ?? humanize(path.at(-1) ?? "")}
          help={schema.description}
          connectionId={connectionId}
          value={Array.isArray(value) ? (value as string[]) : []}
          onChange={onChange}
          invalid={!!invalid}
          describedBy={described}
        />
        <ErrorText path={path} errors={errors} />
      </div>
    );
  }

  if (schema.type === "array") {
    const list = Array.isArray(value) ? (value as string[]) : [];
    return (
      <div class="field">
        <Label path={path} schema={schema} required={required} />
        <input
          id={id}
          type="text"
          value={list.join(", ")}
          placeholder={
            schema.items?.format === "uuid" ? "GUIDs, separated by commas" : "Separated by commas"
          }
          aria-describedby={[described, `${id}-help`].filter(Boolean).join(" ")}
          aria-invalid={invalid}
          onChange={(event: Event) =>
            onChange(
              (event.target as HTMLInputElement).value
                .split(/[,\s]+/)
                .map((item) => item.trim())
                .filter(Boolean),
            )
          }
        />
        {schema.description ? (
          <p class="help" id={`${id}-help`}>
            {(schema as { "x-picker"?: string })["x-picker"]
              ? `${schema.description} Save the connection's credentials first to search groups by name.`
              : schema.description}
          </p>
        ) : null}
        <ErrorText path={path} errors={errors} />
        {Object.entries(errors)
          .filter(([key]) => key.startsWith(`${path.join(".")}.`))
          .slice(0, 1)
          .map(([, message]) => (
            <p class="field-error">{message}</p>
          ))}
      </div>
    );
  }

  const numeric = schema.type === "integer" || schema.type === "number";
  return (
    <div class="field">
      <Label path={path} schema={schema} required={required} />
      <input
        id={id}
        type={numeric ? "number" : "text"}
        min={schema.minimum}
        max={schema.maximum !== undefined && schema.maximum < 1e9 ? schema.maximum : undefined}
        value={
          value === null ? "" : value === undefined ? String(schema.default ?? "") : String(value)
        }
        placeholder={schema.format === "uuid" ? "00000000-0000-0000-0000-000000000000" : undefined}
        aria-invalid={invalid}
        aria-describedby={described}
        onInput={(event: Event) => {
          const raw = (event.target as HTMLInputElement).value;
          // A cleared number is "no value" (an error naming the default), never 0.
          onChange(numeric ? (raw.trim() === "" ? null : Number(raw)) : raw.trim());
        }}
      />
      <Help schema={schema} />
      <ErrorText path={path} errors={errors} />
      {path.at(-1) === "aliasTemplate" ? (
        <AliasExample
          connectionId={connectionId ?? null}
          template={typeof value === "string" ? value : String(schema.default ?? "")}
        />
      ) : null}
    </div>
  );
}

/** Every field of a settings schema, in its declared order. */
export function SchemaForm(props: {
  schema: JsonSchema;
  value: Record<string, unknown>;
  onChange: (value: Record<string, unknown>) => void;
  errors: FieldErrors;
  connectionId?: string | null;
}) {
  return (
    <div class="schema-form">
      {Object.entries(props.schema.properties ?? {}).map(([name, child]) => (
        <SchemaField
          path={[name]}
          schema={child}
          value={props.value[name]}
          onChange={(next) => props.onChange({ ...props.value, [name]: next })}
          errors={props.errors}
          required={props.schema.required?.includes(name)}
          connectionId={props.connectionId}
        />
      ))}
    </div>
  );
}
