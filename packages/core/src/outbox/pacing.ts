import type { BatchOutcome } from "@roster/email";

export type PacingOptions = {
  /** Requests per second at most, whatever the provider allows (ROSTER_EMAIL_RATE). */
  ratePerSecond: number;
  /** First pause after a 5xx or a dropped connection; doubles with each one in a row. */
  backoffBaseMs: number;
  backoffMaxMs: number;
};

/**
 * When the next request may start, from our own ceiling and the provider's last answer
 * (https://resend.com/docs/api-reference/rate-limit): `retry-after` on a 429, the window's
 * `ratelimit-reset` once `ratelimit-remaining` reaches 0, and an exponential pause after
 * failures. Times are `performance.now()` milliseconds; nothing here sleeps.
 */
/** How late a timer may fire and still count as on schedule. */
const TIMER_LATENESS_MS = 5;

export class Pacer {
  private lastStart = Number.NEGATIVE_INFINITY;
  private providerResumesAt = 0;
  private backoffUntil = 0;
  private failuresInRow = 0;

  constructor(private readonly options: PacingOptions) {}

  /** Milliseconds to wait before the next request may start (0: now). */
  delayMs(now = performance.now()): number {
    const ceiling = this.lastStart + 1000 / this.options.ratePerSecond;
    return Math.max(0, ceiling - now, this.providerResumesAt - now, this.backoffUntil - now);
  }

  started(now = performance.now()): void {
    // On schedule, the next slot follows this one's, not the moment the timer fired: timers
    // fire a millisecond or two late, which at 50 requests a second would cost 5–10 % of the
    // rate. A start later than that (idle, or held back by the provider) starts a new schedule.
    const slot = this.lastStart + 1000 / this.options.ratePerSecond;
    this.lastStart = now - slot <= TIMER_LATENESS_MS ? slot : now;
  }

  /** Takes in what the provider answered. */
  observe(outcome: BatchOutcome, now = performance.now()): void {
    const { rate } = outcome;
    if (!outcome.ok && outcome.kind === "rate_limited") {
      const seconds = rate.retryAfterSeconds ?? rate.resetSeconds ?? 1;
      this.providerResumesAt = Math.max(this.providerResumesAt, now + seconds * 1000);
      return;
    }
    if (rate.remaining === 0 && rate.resetSeconds !== null) {
      // The window's quota is used up. Its reset comes in whole seconds: waiting all of it
      // after every second request would hold a 2-a-second limit to ~1.3 (measured). One slot
      // of the provider's own rate after this answer is what the window still asks (counted
      // from the answer, which came after the request arrived, so jitter in sending cannot
      // bring the next one early); if another sender took it, the 429's retry-after says.
      const slot = rate.limit ? now + 1000 / rate.limit : Number.POSITIVE_INFINITY;
      const resumesAt = Math.min(now + rate.resetSeconds * 1000, slot);
      this.providerResumesAt = Math.max(this.providerResumesAt, resumesAt);
    }
    if (!outcome.ok && outcome.kind === "transient") {
      this.failuresInRow += 1;
      const pause = this.options.backoffBaseMs * 2 ** (this.failuresInRow - 1);
      this.backoffUntil = now + Math.min(pause, this.options.backoffMaxMs);
      return;
    }
    this.failuresInRow = 0;
    this.backoffUntil = 0;
  }
}

/**
 * When a row that failed its `attempt`-th time is tried again: `baseMs` × 3^(attempt − 1).
 * With the defaults (60 s, 8 attempts) the seven waits add up to about 18 hours, so a
 * provider outage of most of a day still ends in delivery.
 */
export const retryDelayMs = (attempt: number, baseMs: number) => baseMs * 3 ** (attempt - 1);
