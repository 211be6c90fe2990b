import { DomainError } from "@roster/core";

export type LoginThrottleOptions = {
  /** Sign-in attempts one client address may make per window, whatever the accounts. */
  perAddress: number;
  windowMs: number;
  /** Failures on one account from one address before each next try must wait. */
  freeFailures: number;
  /** Failures on one account from every address together before the account slows down. */
  accountFreeFailures: number;
  /** The first wait; each further failure doubles it, up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  now?: () => number;
};

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  perAddress: 30,
  windowMs: 60_000,
  freeFailures: 5,
  accountFreeFailures: 50,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
};

type Backoff = { failures: number; retryAt: number; touched: number };

/** Tenant and email as the sign-in compares them, so `" Admin@X "` is the same account. */
export const accountKey = (tenant: string, email: string) =>
  `${tenant.trim().toLowerCase()}\u0000${email.trim().toLowerCase()}`;

const MAX_ENTRIES = 50_000;
const DAY_MS = 24 * 3600_000;

/**
 * Login throttling in three layers, after OWASP's Authentication Cheat Sheet ("Login
 * Throttling", "Account Lockout") and the way large identity providers behave (Entra ID
 * Smart Lockout, Okta): throttle, never lock.
 *
 * 1. Per client address, a fixed window of attempts: one address cannot spray many
 *    accounts, and every attempt costs an argon2 hash, so this also bounds CPU per client.
 * 2. Per account *and* address, exponential backoff after a few failures (1 s, 2 s, 4 s …
 *    up to 15 min): one client guessing one account slows to a crawl.
 * 3. Per account across addresses, the same backoff after many more failures, against
 *    guessing spread over many addresses. An address that has signed in to this account
 *    before is exempt from this layer (Entra's "familiar location"), and a single client
 *    can never reach its threshold alone, because layer 2 holds it to a handful of
 *    failures. So a stranger's failures never lock the owner out: they slow the stranger.
 *
 * Each process keeps its own counters; several instances each apply the limits.
 */
export function createLoginThrottle(options: Partial<LoginThrottleOptions> = {}) {
  const settings = { ...DEFAULT_LOGIN_THROTTLE, ...options };
  const now = settings.now ?? Date.now;
  const windows = new Map<string, { start: number; count: number }>();
  const pairs = new Map<string, Backoff>();
  const accounts = new Map<string, Backoff>();
  const familiar = new Map<string, number>();

  const refuse = (waitMs: number, why: string): never => {
    const retryAfterSeconds = Math.max(1, Math.ceil(waitMs / 1000));
    throw new DomainError(
      "rate_limited",
      `Too many sign-in attempts ${why}. Try again in ${retryAfterSeconds} seconds.`,
      { retryAfterSeconds },
    );
  };

  const delayAfter = (failures: number, free: number) =>
    failures < free
      ? 0
      : Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** Math.min(failures - free, 30));

  const prune = (at: number) => {
    if (windows.size > MAX_ENTRIES) {
      for (const [key, w] of windows) if (at - w.start >= settings.windowMs) windows.delete(key);
    }
    for (const map of [pairs, accounts]) {
      if (map.size <= MAX_ENTRIES) continue;
      for (const [key, b] of map) if (at - b.touched > settings.maxDelayMs * 2) map.delete(key);
    }
    if (familiar.size > MAX_ENTRIES) {
      for (const [key, seen] of familiar) if (at - seen > 30 * DAY_MS) familiar.delete(key);
    }
  };

  const fail = (map: Map<string, Backoff>, key: string, free: number, at: number) => {
    const state = map.get(key) ?? { failures: 0, retryAt: 0, touched: at };
    // A quiet spell twice the longest wait forgives old failures.
    if (at - state.touched > settings.maxDelayMs * 2) state.failures = 0;
    state.failures += 1;
    state.retryAt = at + delayAfter(state.failures, free);
    state.touched = at;
    map.set(key, state);
  };

  return {
    /** Before the password is checked: throws `rate_limited` when this attempt must wait. */
    check(address: string, account: string): void {
      const at = now();
      prune(at);
      const window = windows.get(address);
      if (!window || at - window.start >= settings.windowMs) {
        windows.set(address, { start: at, count: 1 });
      } else {
        window.count += 1;
        if (window.count > settings.perAddress) {
          refuse(window.start + settings.windowMs - at, "from your address");
        }
      }
      const pair = pairs.get(`${address}\u0000${account}`);
      if (pair && at < pair.retryAt) refuse(pair.retryAt - at, "for this account");
      const shared = accounts.get(account);
      if (shared && at < shared.retryAt && !familiar.has(`${address}\u0000${account}`)) {
        refuse(shared.retryAt - at, "for this account");
      }
    },
    failed(address: string, account: string): void {
      const at = now();
      fail(pairs, `${address}\u0000${account}`, settings.freeFailures, at);
      fail(accounts, account, settings.accountFreeFailures, at);
    },
    succeeded(address: string, account: string): void {
      pairs.delete(`${address}\u0000${account}`);
      accounts.delete(account);
      familiar.set(`${address}\u0000${account}`, now());
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
