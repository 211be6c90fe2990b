/**
 * A fake Resend: a real HTTP server that answers like Resend's API, limits included, for tests
 * and the benchmark. Each behaviour follows a Resend documentation page:
 * - rate limit: https://resend.com/docs/api-reference/rate-limit — 2 requests/second per team
 *   by default, `ratelimit-limit` / `ratelimit-remaining` / `ratelimit-reset` on every answer,
 *   429 `rate_limit_exceeded` with `retry-after` beyond it;
 * - batch: https://resend.com/docs/api-reference/emails/send-batch-emails — `POST /emails/batch`,
 *   at most 100 emails, answers `{ data: [{ id }] }`; validation modes
 *   https://resend.com/docs/dashboard/emails/batch-validation-modes — `x-batch-validation:
 *   strict` (default: one invalid email rejects the request) or `permissive` (valid emails are
 *   sent, the others listed in `errors: [{ index, message }]`);
 * - idempotency: https://resend.com/docs/dashboard/emails/idempotency-keys — the same key with
 *   the same payload replays the first answer and sends nothing; a different payload is 409
 *   `invalid_idempotent_request`; while the first is in progress, 409
 *   `concurrent_idempotent_requests`; keys are 1–256 characters (400 `invalid_idempotency_key`);
 * - errors: https://resend.com/docs/api-reference/errors — `{ name, message, statusCode }`,
 *   401 `missing_api_key`, 403 `invalid_api_key`, 422 `validation_error` for a bad recipient.
 */

export type FakeEmail = {
  id: string;
  from: string;
  to: string[];
  subject: string;
  text?: string;
  html?: string;
  idempotencyKey: string | null;
};

export type FakeRequest = {
  /** `performance.now()` when the request arrived. */
  at: number;
  path: string;
  status: number;
  emails: number;
  idempotencyKey: string | null;
  /** The `retry-after` it was told, for a 429. */
  retryAfterSeconds: number | null;
  replayed: boolean;
};

export type FakeResendOptions = {
  apiKey?: string;
  /** Requests per second for the team (Resend's default: 2). */
  rateLimit?: number;
  /** Recipients answered as invalid (422 `validation_error`). */
  refused?: readonly string[];
};

export type FakeResend = {
  url: string;
  /** Every email accepted, once each (an idempotent replay adds nothing). */
  delivered: FakeEmail[];
  /** Every request, in arrival order. */
  requests: FakeRequest[];
  /** Makes the next `count` requests fail with the given status (5xx by default 500). */
  failNext(count: number, status?: number): void;
  /** The next `count` requests are processed, then their connection drops mid-answer. */
  dropNext(count: number): void;
  /** Accepts and processes requests but holds their answers until `release()` (then drops them). */
  hold(): void;
  release(): void;
  refuse(recipient: string): void;
  setRateLimit(perSecond: number): void;
  stop(): void;
};

const MAX_BATCH = 100;
const MAX_KEY_LENGTH = 256;

type Stored =
  | { bodyHash: string; status: number; body: unknown }
  | { bodyHash: string; inProgress: true };

export function startFakeResend(options: FakeResendOptions | string = {}): FakeResend {
  const config = typeof options === "string" ? { apiKey: options } : options;
  const apiKey = config.apiKey ?? "re_test_key";
  let rate = config.rateLimit ?? 2;
  const refused = new Set((config.refused ?? []).map((to) => to.toLowerCase()));
  const delivered: FakeEmail[] = [];
  const requests: FakeRequest[] = [];
  const keys = new Map<string, Stored>();
  let failures = 0;
  let failStatus = 500;
  let drops = 0;
  let holding: { promise: Promise<void>; resolve: () => void } | null = null;
  // A token bucket per team: `rate` requests a second, bursts up to `rate`.
  let tokens = rate;
  let refilledAt = performance.now();

  const refill = (now: number) => {
    tokens = Math.min(rate, tokens + ((now - refilledAt) / 1000) * rate);
    refilledAt = now;
  };
  const rateHeaders = () => ({
    "ratelimit-limit": String(rate),
    "ratelimit-remaining": String(Math.max(0, Math.floor(tokens))),
    "ratelimit-reset": String(Math.max(0, Math.ceil((rate - tokens) / rate))),
  });
  const error = (status: number, name: string, message: string, headers = {}) =>
    Response.json(
      { statusCode: status, name, message },
      { status, headers: { ...rateHeaders(), ...headers } },
    );

  const server = Bun.serve({
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const at = performance.now();
      const url = new URL(request.url);
      const key = request.headers.get("idempotency-key");
      const log = (status: number, emails = 0, extra: Partial<FakeRequest> = {}) =>
        requests.push({
          at,
          path: url.pathname,
          status,
          emails,
          idempotencyKey: key,
          retryAfterSeconds: null,
          replayed: false,
          ...extra,
        });
      const isBatch = url.pathname === "/emails/batch";
      if (request.method !== "POST" || (url.pathname !== "/emails" && !isBatch)) {
        log(404);
        return error(404, "not_found", "The requested endpoint does not exist.");
      }
      const authorization = request.headers.get("authorization");
      if (!authorization) {
        log(401);
        return error(401, "missing_api_key", "Missing API key in the authorization header.");
      }
      if (authorization !== `Bearer ${apiKey}`) {
        log(403);
        return error(403, "invalid_api_key", "API key is invalid.");
      }
      refill(at);
      if (tokens < 1) {
        const retryAfter = Math.max(1, Math.ceil((1 - tokens) / rate));
        log(429, 0, { retryAfterSeconds: retryAfter });
        return error(
          429,
          "rate_limit_exceeded",
          `Too many requests. You can only make ${rate} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`,
          { "retry-after": String(retryAfter) },
        );
      }
      tokens -= 1;
      if (failures > 0) {
        failures -= 1;
        log(failStatus);
        return error(
          failStatus,
          "internal_server_error",
          "An unexpected error occurred, please try again later.",
        );
      }
      const text = await request.text();
      let payload: unknown;
      try {
        payload = JSON.parse(text);
      } catch {
        log(400);
        return error(400, "validation_error", "Invalid JSON body.");
      }
      if (key !== null && (key.length === 0 || key.length > MAX_KEY_LENGTH)) {
        log(400);
        return error(400, "invalid_idempotency_key", "The key must be between 1-256 chars.");
      }
      const bodyHash = String(Bun.hash(`${url.pathname}\n${text}`));
      const stored = key ? keys.get(key) : undefined;
      if (stored) {
        if (stored.bodyHash !== bodyHash) {
          log(409);
          return error(
            409,
            "invalid_idempotent_request",
            "Same idempotency key used with a different request payload.",
          );
        }
        if ("inProgress" in stored) {
          log(409);
          return error(
            409,
            "concurrent_idempotent_requests",
            "Same idempotency key used while original request is still in progress.",
          );
        }
        log(stored.status, 0, { replayed: true });
        return Response.json(stored.body, { status: stored.status, headers: rateHeaders() });
      }
      if (key) keys.set(key, { bodyHash, inProgress: true });
      const answer = accept(payload, isBatch, request.headers.get("x-batch-validation"), key);
      // Only what was processed is kept for replay; a rejected request may be retried.
      if (key) {
        if (answer.status === 200) keys.set(key, { bodyHash, status: 200, body: answer.body });
        else keys.delete(key);
      }
      log(answer.status, answer.sent);
      if (holding) {
        await holding.promise;
        return brokenBody();
      }
      if (drops > 0 && answer.status === 200) {
        drops -= 1;
        return brokenBody();
      }
      return answer.status === 200
        ? Response.json(answer.body, { headers: rateHeaders() })
        : error(answer.status, "validation_error", String(answer.body));
    },
  });

  /** Validates and "sends": returns the answer, and how many emails it created. */
  function accept(
    payload: unknown,
    isBatch: boolean,
    validation: string | null,
    key: string | null,
  ): { status: number; body: unknown; sent: number } {
    const emails = isBatch ? payload : [payload];
    if (!Array.isArray(emails) || emails.length === 0) {
      return { status: 422, body: "The request body must be a non-empty array.", sent: 0 };
    }
    if (emails.length > MAX_BATCH) {
      return {
        status: 422,
        body: `Too many emails in the batch: the maximum is ${MAX_BATCH}.`,
        sent: 0,
      };
    }
    const problems = emails.map(problemOf);
    const permissive = isBatch && validation === "permissive";
    const firstProblem = problems.find((problem) => problem !== null);
    if (firstProblem && !permissive) return { status: 422, body: firstProblem, sent: 0 };
    const data: Array<{ id: string }> = [];
    const errors: Array<{ index: number; message: string }> = [];
    emails.forEach((email: Omit<FakeEmail, "id" | "idempotencyKey">, index) => {
      const problem = problems[index];
      if (problem) {
        errors.push({ index, message: problem });
        return;
      }
      const id = crypto.randomUUID();
      delivered.push({ ...email, to: [email.to].flat(), id, idempotencyKey: key });
      data.push({ id });
    });
    const body = isBatch ? (permissive ? { data, errors } : { data }) : data[0];
    return { status: 200, body, sent: data.length };
  }

  function problemOf(email: unknown): string | null {
    if (typeof email !== "object" || email === null) return "Each email must be an object.";
    const { from, to, subject, html, text } = email as Record<string, unknown>;
    if (!from || !to || !subject) return "Missing `from`, `to` or `subject` field.";
    if (!html && !text) return "Missing `html` or `text` field.";
    for (const recipient of [to].flat()) {
      if (
        typeof recipient !== "string" ||
        !recipient.includes("@") ||
        refused.has(recipient.toLowerCase())
      )
        return `Invalid \`to\` field. The email address needs to follow the \`email@example.com\` or \`Name <email@example.com>\` format.`;
    }
    return null;
  }

  return {
    url: `http://localhost:${server.port}`,
    delivered,
    requests,
    failNext(count, status = 500) {
      failures = count;
      failStatus = status;
    },
    dropNext(count) {
      drops = count;
    },
    hold() {
      let resolve = () => {};
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      holding = { promise, resolve };
    },
    release() {
      holding?.resolve();
      holding = null;
    },
    refuse(recipient) {
      refused.add(recipient.toLowerCase());
    },
    setRateLimit(perSecond) {
      rate = perSecond;
      tokens = Math.min(tokens, rate);
    },
    stop() {
      holding?.resolve();
      server.stop(true);
    },
  };
}

/** A 200 whose body stops halfway: what a client sees when the connection drops mid-answer. */
function brokenBody(): Response {
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"data":[{"id":"'));
      controller.error();
    },
  });
  return new Response(stream, { headers: { "content-type": "application/json" } });
}
