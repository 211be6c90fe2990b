import { Resend } from "resend";

/** One email, ready to send. */
export type EmailMessage = {
  to: string;
  subject: string;
  text: string;
  html: string;
};

/** Resend's batch ceiling (https://resend.com/docs/api-reference/emails/send-batch-emails). */
export const MAX_BATCH_EMAILS = 100;

/**
 * What the provider said about its rate limit in a response's headers
 * (https://resend.com/docs/api-reference/rate-limit); null when a header was absent.
 */
export type RateLimitState = {
  /** Requests the window allows (`ratelimit-limit`; Resend's default: 2 a second). */
  limit: number | null;
  remaining: number | null;
  /** Seconds until the window resets. */
  resetSeconds: number | null;
  /** Seconds to wait before the next request (sent with a 429). */
  retryAfterSeconds: number | null;
};

/**
 * How a failed request should be retried:
 * - `rate_limited`: the provider refused for pace only; wait `retry-after`, retry, no attempt spent;
 * - `transient`: 5xx, a dropped connection, a timeout, a key or quota problem: back off, spend an attempt;
 * - `rejected`: the request itself is invalid (400/422 validation) and never succeeds as sent.
 */
export type FailureKind = "rate_limited" | "transient" | "rejected";

export type BatchOutcome =
  | {
      ok: true;
      /** The provider id of each message, by position; null for a message it refused. */
      ids: Array<string | null>;
      /** Messages refused one by one (permissive batch validation), by position. */
      rejected: Array<{ index: number; message: string }>;
      rate: RateLimitState;
    }
  | {
      ok: false;
      kind: FailureKind;
      status: number | null;
      error: string;
      rate: RateLimitState;
    };

/**
 * Where email goes. `resend` delivers through Resend's API; `outbox` keeps every message
 * in the local outbox (the database row *is* the delivery), for operators without a key.
 */
export interface EmailTransport {
  kind: "resend" | "outbox";
  /**
   * Sends up to {@link MAX_BATCH_EMAILS} messages in one request. The same key with the same
   * messages sends nothing twice (Resend keeps keys 24 h). Never throws: a failure comes
   * back as `{ ok: false }` with how to retry it.
   */
  sendBatch(
    messages: EmailMessage[],
    idempotencyKey: string,
    signal?: AbortSignal,
  ): Promise<BatchOutcome>;
}

export type EmailConfig = {
  resendApiKey?: string;
  /** Resend's API address; tests point it at a local fake. */
  resendBaseUrl?: string;
  from?: string;
};

export const DEFAULT_FROM = "Roster <roster@localhost>";

/** A request that has not answered in this long is treated like a dropped connection. */
const REQUEST_TIMEOUT_MS = 30_000;

export function createEmailTransport(config: EmailConfig): EmailTransport {
  const apiKey = config.resendApiKey?.trim();
  if (!apiKey) {
    return {
      kind: "outbox",
      sendBatch: async (messages) => ({
        ok: true,
        ids: messages.map(() => null),
        rejected: [],
        rate: noRateState,
      }),
    };
  }
  const resend = new Resend(apiKey, config.resendBaseUrl ? { baseUrl: config.resendBaseUrl } : {});
  const from = config.from ?? DEFAULT_FROM;
  return {
    kind: "resend",
    async sendBatch(messages, idempotencyKey, signal) {
      // The SDK returns the response headers with data or error (resend 6.x), so the rate
      // limit headers need no fetch of our own. A dropped connection or a timeout comes back
      // as an error without a status.
      const result = await resend.batch.send(
        messages.map((message) => ({ from, ...message, to: [message.to] })),
        {
          idempotencyKey,
          // Permissive: one refused recipient fails only its email, the rest are sent
          // (https://resend.com/docs/dashboard/emails/batch-validation-modes).
          batchValidation: "permissive",
          signal: signal ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        },
      );
      const rate = rateStateOf(result.headers);
      if (result.error) {
        const status = result.error.statusCode ?? null;
        return {
          ok: false,
          kind: failureKind(status, result.error.name),
          status,
          error: `${result.error.name}: ${result.error.message}`,
          rate,
        };
      }
      const rejected = [...(result.data.errors ?? [])].sort((a, b) => a.index - b.index);
      const refused = new Set(rejected.map((entry) => entry.index));
      // `data` lists the created emails in request order, without the refused ones.
      const created = result.data.data.map((entry) => entry.id);
      const ids = messages.map((_, index) =>
        refused.has(index) ? null : (created.shift() ?? null),
      );
      return { ok: true, ids, rejected, rate };
    },
  };
}

const noRateState: RateLimitState = {
  limit: null,
  remaining: null,
  resetSeconds: null,
  retryAfterSeconds: null,
};

function rateStateOf(headers: Record<string, string> | null): RateLimitState {
  const number = (name: string) => {
    const value = headers?.[name];
    if (value === undefined) return null;
    const parsed = Number(value);
    return Number.isFinite(parsed) && parsed >= 0 ? parsed : null;
  };
  return {
    limit: number("ratelimit-limit"),
    remaining: number("ratelimit-remaining"),
    resetSeconds: number("ratelimit-reset"),
    retryAfterSeconds: number("retry-after"),
  };
}

/** Error names and statuses from https://resend.com/docs/api-reference/errors. */
function failureKind(status: number | null, name: string): FailureKind {
  if (status === 429 && name === "rate_limit_exceeded") return "rate_limited";
  // Another request with this key is still in flight: it answers soon; retry like a 429.
  if (status === 409 && name === "concurrent_idempotent_requests") return "rate_limited";
  if (status === 400 || status === 422) {
    // A bad idempotency key is ours to fix, not the messages'; retrying is pointless too, but
    // it must not be mistaken for a refused recipient.
    return name === "invalid_idempotency_key" ? "transient" : "rejected";
  }
  // No status (dropped connection, timeout), 5xx, 401/403 (key or domain: fixable by the
  // operator), quotas (429 daily/monthly), 409 payload mismatch: back off and try again.
  return "transient";
}
