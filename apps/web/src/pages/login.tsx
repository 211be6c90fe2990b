import { useEffect, useState } from "hono/jsx/dom";
import { type ApiError, api } from "../api.ts";
import { signInErrorText } from "./sign-in-errors.ts";

const FIELDS = [
  { name: "tenant", label: "Tenant", type: "text", autocomplete: "organization" },
  { name: "email", label: "Email", type: "email", autocomplete: "username" },
  { name: "password", label: "Password", type: "password", autocomplete: "current-password" },
] as const;

type Provider = { provider: string; connectionId: string; label: string };

const TENANT_KEY = "roster.tenant";

/** `?signInError=` from the directory callback, read once and removed from the address bar. */
function takeSignInError(): string | null {
  const params = new URLSearchParams(location.search);
  const code = params.get("signInError");
  if (!code) return null;
  params.delete("signInError");
  const query = params.toString();
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
  return signInErrorText(code);
}

const startUrl = (provider: Provider, tenant: string, email: string) => {
  const query = new URLSearchParams({ tenant, connection: provider.connectionId });
  if (email) query.set("email", email);
  return `/api/auth/sso/${provider.provider}/start?${query}`;
};

/** Password sign-in, and the tenant's "Sign in with …" buttons for directory users. */
export function LoginPage({ onSignedIn }: { onSignedIn: () => void }) {
  const [form, setForm] = useState({
    tenant:
      new URLSearchParams(location.search).get("tenant") ?? localStorage.getItem(TENANT_KEY) ?? "",
    email: "",
    password: "",
  });
  const [error, setError] = useState<string | null>(() => takeSignInError());
  const [redirectTo, setRedirectTo] = useState<string | null>(null);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [busy, setBusy] = useState(false);
  const update = (key: keyof typeof form) => (event: Event) =>
    setForm({ ...form, [key]: (event.target as HTMLInputElement).value });

  // The buttons follow the tenant typed in, a moment after typing stops.
  useEffect(() => {
    const tenant = form.tenant.trim();
    if (!tenant) {
      setProviders([]);
      return;
    }
    const timer = setTimeout(() => {
      api<{ items: Provider[] }>("GET", `/api/auth/providers?tenant=${encodeURIComponent(tenant)}`)
        .then((result) => setProviders(result.items))
        .catch(() => setProviders([]));
    }, 250);
    return () => clearTimeout(timer);
  }, [form.tenant]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    setRedirectTo(null);
    try {
      await api("POST", "/api/auth/login", form);
      localStorage.setItem(TENANT_KEY, form.tenant.trim());
      onSignedIn();
    } catch (caught) {
      const e = caught as ApiError;
      if (e.code === "sso_required") {
        const details = e.details as { provider?: string; startUrl?: string } | undefined;
        const name = details?.provider === "google" ? "Google" : "Microsoft";
        setError(`${e.message} Use "Sign in with ${name}".`);
        setRedirectTo(details?.startUrl ?? null);
      } else {
        setError(e.message);
      }
    } finally {
      setBusy(false);
    }
  };

  const tenant = form.tenant.trim();
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
            {redirectTo ? (
              <>
                {" "}
                <a href={redirectTo}>Continue</a>
              </>
            ) : null}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        {providers.length > 0 ? (
          <div class="sso">
            <p class="muted divider">or</p>
            {providers.map((provider) => (
              <a
                class={`button sso-${provider.provider}`}
                href={startUrl(provider, tenant, form.email.trim())}
                onClick={() => localStorage.setItem(TENANT_KEY, tenant)}
              >
                {provider.label}
              </a>
            ))}
          </div>
        ) : null}
      </form>
    </main>
  );
}
