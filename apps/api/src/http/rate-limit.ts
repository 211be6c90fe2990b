import { DomainError } from "@roster/core";

/**
 * A fixed-window counter per key (client address + account): enough to stop password
 * guessing on one instance. Several instances each keep their own window.
 */
export function createRateLimiter(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
}) {
  const windows = new Map<string, { start: number; count: number }>();
  const now = options.now ?? Date.now;
  return {
    hit(key: string): void {
      const at = now();
      const window = windows.get(key);
      if (!window || at - window.start >= options.windowMs) {
        windows.set(key, { start: at, count: 1 });
        if (windows.size > 10_000) {
          for (const [k, w] of windows) if (at - w.start >= options.windowMs) windows.delete(k);
        }
        return;
      }
      window.count += 1;
      if (window.count > options.limit) {
        const retryAfter = Math.ceil((window.start + options.windowMs - at) / 1000);
        throw new DomainError(
          "rate_limited",
          `Too many sign-in attempts. Try again in ${retryAfter} seconds.`,
          {
            retryAfterSeconds: retryAfter,
          },
        );
      }
    },
  };
}
