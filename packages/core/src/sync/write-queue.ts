import type { Decision } from "../rules/plan.ts";
import { type DecidedChunk, isWriteFailure } from "./store/index.ts";

/**
 * How many users a chunk may hold: the first, and at most (each next one may be twice the
 * last). The writer takes whatever was decided whenever it is free, so chunks grow only while
 * it is behind; reading waits only beyond `max`. A crash loses at most one chunk, which the
 * next run redoes.
 */
export type ChunkLimits = { first: number; max: number };

/**
 * A local file: each chunk is one transaction. Fewer, larger ones cost far less with
 * random-key indexes (measured at 100k users: 6.4 s a page at a time, 3.1 s in one), but
 * past 20,000 no less (100k full sync 3.7–4.3 s at 20,000, 3.9–4.9 s at 50,000), and a
 * 50,000-user chunk with its welcome emails held the write lock 3–4 s, which the email
 * dispatcher's claims wait out. A small first chunk commits the first users and emails
 * within a page or two instead of after a 13,000-user one.
 */
export const FILE_CHUNKS: ChunkLimits = { first: 1_000, max: 20_000 };
/**
 * A libSQL server: chunks are cut into transactions sized by their pace (remote-batches.ts,
 * from 5,000 users), so the queue only hands over large ones (100k on sqld: 5.6–5.8 s with
 * 50,000, 6.5–7.0 s with FILE_CHUNKS).
 */
export const SERVER_CHUNKS: ChunkLimits = { first: 50_000, max: 50_000 };

const emptyChunk = (): DecidedChunk => ({ actions: [], failures: [], warnings: [], reviews: [] });

/**
 * Decisions waiting for the writer. One chunk is written while the next pages are read and
 * decided, so the directory's latency and the database's work overlap instead of adding up.
 */
export function createWriteQueue(
  write: (chunk: DecidedChunk) => Promise<void>,
  limits: ChunkLimits = FILE_CHUNKS,
) {
  let buffer = emptyChunk();
  let inFlight: Promise<void> | null = null;
  let writing = false;
  let chunkLimit = limits.first;
  const settle = async () => {
    const current = inFlight;
    inFlight = null;
    if (current) await current;
  };
  const flush = async () => {
    const chunk = buffer;
    buffer = emptyChunk();
    if (chunk.actions.length > chunkLimit) buffer.actions = chunk.actions.splice(chunkLimit);
    chunkLimit = Math.min(limits.max, chunkLimit * 2);
    await settle(); // one chunk in flight at most
    const issues = chunk.failures.length + chunk.warnings.length + chunk.reviews.length;
    if (chunk.actions.length + issues === 0) return;
    writing = true;
    inFlight = write(chunk).finally(() => {
      writing = false;
    });
    // Awaited by settle(); this only keeps a rejection from counting as unhandled meanwhile.
    inFlight.catch(() => {});
  };
  /** Flushes until nothing decided is left: one chunk may hold only part of the buffer. */
  const flushAll = async () => {
    do await flush();
    while (buffer.actions.length > 0);
  };
  return {
    add({ action, warnings }: Decision) {
      buffer.warnings.push(...warnings);
      if (action.kind === "failed") buffer.failures.push(action.issue);
      else if (action.kind === "held") buffer.reviews.push(action.issue);
      else if (action.kind !== "skipped" && action.kind !== "unchanged")
        buffer.actions.push(action);
    },
    /**
     * After each page: hand the writer whatever is decided as soon as it is free, so it
     * starts on the first page; when it falls behind, chunks grow and reading waits.
     */
    async offer() {
      const buffered = buffer.actions.length + buffer.failures.length + buffer.reviews.length;
      if (buffered >= limits.max || (!writing && buffered > 0)) await flush();
    },
    /** Writes everything decided; throws what a write threw. */
    async drain() {
      await flushAll();
      await settle();
    },
    /**
     * After a failed read: keep what was decided before the failure. Returns the error the
     * run ends with: a write's own failure (storage, lease, writer) outranks the read's.
     */
    async salvage(readError: unknown): Promise<unknown> {
      if (isWriteFailure(readError)) return readError;
      try {
        await settle();
        await flushAll();
        await settle();
        return readError;
      } catch (writeError) {
        return writeError;
      }
    },
  };
}
