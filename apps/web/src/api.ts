/** Calls the Roster API with the session cookie; errors keep the contract's shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data?.error ?? { code: "internal", message: response.statusText };
    if (response.status === 401 && !path.endsWith("/login"))
      window.dispatchEvent(new Event("roster:signed-out"));
    throw new ApiError(response.status, error.code, error.message, error.details);
  }
  return data as T;
}

export type Page<T> = { items: T[]; nextCursor: string | null };

export type Counts = Record<
  "created" | "updated" | "restored" | "deleted" | "skipped" | "unchanged" | "failed",
  number
>;

/** Where a run or preview is; written at most every second while it goes. */
export type Progress = {
  phase: "starting" | "reading" | "writing" | "deleting" | "groups" | "emails" | "done";
  pagesRead: number;
  usersRead: number;
  counts: Counts;
  at: number;
};

export type Run = {
  id: string;
  connectionId: string;
  trigger: "manual" | "automatic";
  triggeredBy: string | null;
  outcome: string;
  error: string | null;
  pendingDeletions: number;
  startedAt: string;
  finishedAt: string | null;
  counts: Counts;
  mode: "full" | "incremental";
  fullReason: string | null;
  progress: Progress | null;
  cancelRequested: boolean;
};

/** What a run read, in words: "changes only", or "everything" and why. */
export const readModeText = (run: Pick<Run, "mode" | "fullReason">) =>
  run.mode === "incremental"
    ? "changes only"
    : `everything${run.fullReason ? ` (${FULL_REASONS[run.fullReason] ?? run.fullReason})` : ""}`;

const FULL_REASONS: Record<string, string> = {
  not_supported: "this directory reads everything",
  requested: "asked for",
  first_run: "first run",
  settings_changed: "settings changed",
  cursor_expired: "changes too old",
  reconciliation: "weekly reconciliation",
  directory_reset: "the directory reset change tracking",
  cursor_invalid: "the directory refused the change cursor",
  scope_changed: "scope changed",
  email_conflict_freed: "an email a user failed for was freed",
};

export type Connection = {
  id: string;
  type: string;
  name: string;
  status: "draft" | "connected" | "error";
  lastError: { code: string; message: string; details?: unknown } | null;
  settings: Record<string, unknown>;
  secretSet: boolean;
  secretExpiresAt: string | null;
  autoSync: { enabled: boolean; activatedAt: string | null; nextRunAt: string | null };
  /** Set when the connector signs users in: the URI to add to the directory's app. */
  signIn?: { redirectUri: string } | null;
  lastRun:
    | (Omit<Run, "connectionId" | "triggeredBy"> & {
        emails: { pending: number; sent: number; failed: number } | null;
      })
    | null;
};

export type JsonSchema = {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  enum?: string[];
  const?: string;
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  oneOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
};

export type ConnectorInfo = {
  type: string;
  displayName: string;
  status: "available" | "coming-soon";
  settingsSchema: JsonSchema;
  secretLabel: string;
};

export const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : "—");

/**
 * A date-only value (a secret's expiry chosen as 2026-12-06 is stored as that day's UTC
 * midnight): shown in UTC, so no time zone moves it to the day before.
 */
export const dateOnly = (iso: string | null) =>
  iso
    ? new Date(iso).toLocaleDateString(undefined, {
        timeZone: "UTC",
        year: "numeric",
        month: "short",
        day: "numeric",
      })
    : "—";

/** 75 → "1 min 15 s". */
export const duration = (ms: number) => {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${seconds % 60} s` : `${seconds} s`;
};

export type Preview = {
  counts: Counts;
  error: string | null;
  outcome: string;
  pendingDeletions: number;
  aliasesRemoved: number;
  samples: Record<string, { email: string | null; name: string | null; reason?: string }[]>;
};

/** A preview running in the background, or its kept result. */
export type PreviewJob = {
  id: string;
  connectionId: string;
  status: "running" | "succeeded" | "failed" | "cancelled";
  progress: Progress | null;
  result: Preview | null;
  error: string | null;
  cancelRequested: boolean;
  startedAt: string;
  finishedAt: string | null;
};

export type RunIssue = {
  id: string;
  kind: "failure" | "warning" | "pending_deletion";
  externalId: string | null;
  email: string | null;
  displayName: string | null;
  code: string;
  message: string;
};
