/** Faults a test can switch on to see how a client copes with a misbehaving Directory API. */
export type Faults = {
  /** Added before every Directory API response. */
  latencyMs?: number;
  /** The next `count` Directory API requests answer 403 with this rate-limit reason. */
  rateLimit?: { count: number; reason?: "userRateLimitExceeded" | "quotaExceeded" };
  /** Every `every`-th Directory API request answers 403 `userRateLimitExceeded`, until cleared. */
  rateLimitEvery?: { every: number; reason?: "userRateLimitExceeded" | "quotaExceeded" };
  /** The next `count` Directory API requests answer with this status (500, 503…). */
  fail?: { count: number; status: number };
  /** Every listing page from this page number on (1 = first) answers 503, until cleared. */
  failFromPage?: number;
  /** The token endpoint answers 503 (Google's sign-in host unreachable). */
  tokenUnavailable?: boolean;
};

export type RequestCounts = {
  token: number;
  api: number;
  rateLimited: number;
  failed: number;
  byRoute: Record<string, number>;
};

export const emptyCounts = (): RequestCounts => ({
  token: 0,
  api: 0,
  rateLimited: 0,
  failed: 0,
  byRoute: {},
});
