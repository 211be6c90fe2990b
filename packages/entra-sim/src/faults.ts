import type { IdTokenFaults } from "./delegated/code-grant.ts";

/** Faults a test can switch on to see how a client copes with a misbehaving Graph. */
export type Faults = {
  /** Added before every Graph response. */
  latencyMs?: number;
  /** The next `count` Graph requests answer 429 with `Retry-After`. */
  throttle?: { count: number; retryAfterSeconds: number };
  /** The next `count` Graph requests answer with this status (e.g. 503, 500). */
  fail?: { count: number; status: number };
  /** Every listing page from this page number on (1 = first) answers 500, until cleared. */
  failFromPage?: number;
  /** Every `every`-th Graph request answers 429 (a throttling storm), until cleared. */
  throttleEvery?: { every: number; retryAfterSeconds: number };
  /** Listing pages from this page number on break off mid-body (a dropped connection). */
  dropFromPage?: number;
  /** Every delta round starts with this many empty pages that carry a nextLink (Graph does this). */
  emptyDeltaPages?: number;
  /** ID tokens signed with a key `jwks_uri` does not publish, or with claims overridden. */
  idToken?: IdTokenFaults;
};

export type RequestCounts = {
  token: number;
  graph: number;
  throttled: number;
  failed: number;
  byRoute: Record<string, number>;
};

export const emptyCounts = (): RequestCounts => ({
  token: 0,
  graph: 0,
  throttled: 0,
  failed: 0,
  byRoute: {},
});
