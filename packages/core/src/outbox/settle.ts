import type { InStatement } from "@libsql/client";
import type { OutboxWrite } from "./writes.ts";

export type Settler = {
  /** Queues one batch's settlement (sent, failed, retry, release); never waits. */
  add(statements: InStatement[]): void;
  /** Resolves once everything queued so far is written (or reported). */
  idle(): Promise<void>;
};

/**
 * Writes the fate of sent batches in the background, everything queued since the last write
 * in one transaction. A sync's write holds the database's write lock for seconds at a time;
 * waiting for each settlement then would stop sending as well. Until a settlement lands its
 * rows stay leased to this process, so nobody takes them; if it never lands (a crash, a
 * refused write), the lease lapses and the rows go out again under their Idempotency-Key,
 * which Resend answers as a replay.
 */
export function createSettler(write: OutboxWrite, reportError: (error: unknown) => void): Settler {
  let queued: InStatement[][] = [];
  let writing: Promise<void> | null = null;

  const writeAll = async (groups: InStatement[][]) => {
    try {
      await write(groups.flat());
    } catch (error) {
      if (groups.length === 1) return reportError(error);
      // One group's refusal must not take the others with it: write each alone.
      for (const group of groups) await writeAll([group]);
    }
  };
  const drain = async () => {
    while (queued.length > 0) {
      const groups = queued;
      queued = [];
      await writeAll(groups);
    }
    writing = null;
  };

  return {
    add(statements) {
      if (statements.length === 0) return;
      queued.push(statements);
      writing ??= drain();
    },
    async idle() {
      while (writing) await writing;
    },
  };
}
