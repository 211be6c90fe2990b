import { dateOnly } from "../../api.ts";

const DAY = 24 * 3600 * 1000;

/** How a secret's expiry date stands: warned 7 days ahead (spec), red once past. */
export function expiryState(expiresAt: string, now = Date.now()): "expired" | "expiring" | "ok" {
  const left = Date.parse(expiresAt) - now;
  if (left <= 0) return "expired";
  return left <= 7 * DAY ? "expiring" : "ok";
}

/** The secret's expiry on the card: a date (not a time), amber within 7 days, red once expired. */
export function SecretExpiry({ expiresAt }: { expiresAt: string | null }) {
  if (!expiresAt) return null;
  const state = expiryState(expiresAt);
  if (state === "ok") return <p class="muted">Secret expires {dateOnly(expiresAt)}</p>;
  return (
    <p>
      <span class={`pill secret-${state}`} data-testid="secret-expiry">
        {state === "expired"
          ? `Secret expired ${dateOnly(expiresAt)}`
          : `Secret expires ${dateOnly(expiresAt)}`}
      </span>{" "}
      <span class="muted">
        {state === "expired"
          ? "Runs fail until a new secret is saved (Edit)."
          : "Create a new secret in the directory and save it here (Edit) before then."}
      </span>
    </p>
  );
}
