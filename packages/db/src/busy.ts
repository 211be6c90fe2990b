/**
 * SQLITE_BUSY is a wait, not a failure: another connection (the writer thread, another run,
 * another process on the same file) holds the write lock. Every connection waits up to
 * `BUSY_TIMEOUT_MS` for it (libSQL's `timeout` option, applied to each connection it opens);
 * what still comes back busy — a wait longer than that, or the cases where SQLite does not
 * wait at all (a read transaction that tries to write after another commit) — is retried
 * here with backoff, so every caller of the client benefits.
 */
import type { Client } from "@libsql/client";

/** How long one statement waits for a lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 10_000;

export type BusyRetry = {
  /** Attempts in all, the first included. */
  attempts: number;
  /** Delay before the first retry; doubled for each next one, with ±50 % jitter. */
  firstDelayMs: number;
};

export const DEFAULT_BUSY_RETRY: BusyRetry = { attempts: 5, firstDelayMs: 50 };

/** True for SQLITE_BUSY and its extended codes (`SQLITE_BUSY_SNAPSHOT`, …), also when wrapped. */
export function isBusy(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const { code, rawCode } = e as { code?: unknown; rawCode?: unknown };
    if (typeof code === "string" && code.startsWith("SQLITE_BUSY")) return true;
    if (typeof rawCode === "number" && (rawCode & 0xff) === 5) return true;
  }
  return false;
}

/** Runs `operation`, again after a pause while it fails with SQLITE_BUSY. */
export async function retryBusy<T>(
  operation: () => Promise<T>,
  retry: BusyRetry = DEFAULT_BUSY_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= retry.attempts || !isBusy(error)) throw error;
      const delay = retry.firstDelayMs * 2 ** (attempt - 1);
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
    }
  }
}

// The calls that start work on a connection. Each either happens whole or not at all when it
// fails busy: a single statement in autocommit, a batch (libSQL rolls it back), the BEGIN of
// an interactive transaction. Statements inside an open transaction are not retried.
const RETRIED = new Set(["execute", "batch", "executeMultiple", "transaction"]);

/** The client with its `execute`, `batch`, `executeMultiple` and `transaction` retried while busy. */
export function retryingBusy(client: Client, retry: BusyRetry = DEFAULT_BUSY_RETRY): Client {
  return new Proxy(client, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      if (typeof key === "string" && RETRIED.has(key)) {
        return (...args: unknown[]) => retryBusy(() => value.apply(target, args), retry);
      }
      return value.bind(target);
    },
  });
}
