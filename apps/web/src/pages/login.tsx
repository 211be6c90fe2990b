import { useState } from "hono/jsx/dom";
import { type ApiError, api } from "../api.ts";

const FIELDS = [
  { name: "tenant", label: "Tenant", type: "text", autocomplete: "organization" },
  { name: "email", label: "Email", type: "email", autocomplete: "username" },
  { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
] as const;

/** Password sign-in; directory users are sent to their directory's sign-in. */
export function LoginPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [form, setForm] = useState({ tenant: "", email: "", password: "" });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const update = (key: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [key]: (event.target as HTMLInputElement).value });

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("POST", "/api/auth/login", form);
      onSignedIn();
    } catch (caught) {
      const e = caught as ApiError;
      setError(
        e.code === "sso_required"
          ? `${e.message} Use "Sign in with ${(e.details as { provider?: string })?.provider === "google" ? "Google" : "Microsoft"}" in the application.`
          : e.message,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Sign in to Roster</h1>
        {FIELDS.map((field) => (
          <div class="field">
            <label for={`login-${field.name}`}>{field.label}</label>
            <input
              id={`login-${field.name}`}
              name={field.name}
              type={field.type}
              autocomplete={field.autocomplete}
              required
              value={form[field.name]}
              onInput={update(field.name)}
            />
          </div>
        ))}
        {error ? (
          <p class="alert error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
