import type {
  ChangesEnd,
  Connector,
  DirectoryChanges,
  DirectoryUser,
  ReadInput,
} from "@roster/connector-kit";

/**
 * Pages the directory is asked for before the run is ready for them. A full run starts
 * reading before it loads the tenant's users, so the directory's latency and the index
 * load overlap (at 100k users each takes most of a second); while the run decides and
 * writes, the reader stays this far ahead. The pages still come one request at a time.
 */
export const READ_AHEAD_PAGES = 64;

/** A read in progress: pages of changes, ending with the next cursor (null without one). */
export type DirectoryRead = AsyncIterator<DirectoryChanges, ChangesEnd | null>;

/**
 * Asks `source` for up to `depth` items at once, from now on (not from the first `next()`);
 * an async generator answers them one after another, in order. Keeps the source's return
 * value (a change stream returns its next cursor) and its error, where it happened.
 */
export function readAhead<T, R>(source: AsyncIterator<T, R>, depth: number): AsyncIterator<T, R> {
  const pending: Array<Promise<IteratorResult<T, R>>> = [];
  const request = () => {
    const next = source.next();
    // Observed by `next()` below; this only keeps an abandoned read from reporting it unhandled.
    next.catch(() => {});
    pending.push(next);
  };
  for (let i = 0; i < depth; i += 1) request();
  let finished: IteratorResult<T, R> | null = null;
  return {
    async next() {
      if (finished) return finished;
      const result = await (pending.shift() as Promise<IteratorResult<T, R>>);
      if (result.done) finished = result;
      else request();
      return result;
    },
  };
}

/** What a run reads: everything, or the changes since `cursor`. */
export type ReadPlan = { mode: "full" } | { mode: "incremental"; cursor: string };

/**
 * Starts reading the directory as pages of changes: a full read is every user upserted
 * (and, for a connector with change reads, ends with a cursor); an incremental read is
 * what changed.
 */
export function startReading(
  connector: Connector,
  input: ReadInput<Record<string, unknown>>,
  plan: ReadPlan,
): DirectoryRead {
  const settings = input as ReadInput<never>;
  const source: DirectoryRead = connector.readChanges
    ? connector.readChanges(settings, plan.mode === "incremental" ? plan.cursor : null)
    : asChanges(connector.readUsers(settings));
  return readAhead(source, READ_AHEAD_PAGES);
}

async function* asChanges(
  pages: AsyncIterable<DirectoryUser[]>,
): AsyncGenerator<DirectoryChanges, null> {
  for await (const upserted of pages) yield { upserted, removed: [] };
  return null;
}

/** Hands each page to `onPage` in turn; resolves to the read's next cursor. */
export async function forEachPage(
  read: DirectoryRead,
  onPage: (page: DirectoryChanges) => Promise<void>,
): Promise<ChangesEnd | null> {
  for (;;) {
    const next = await read.next();
    if (next.done) return next.value;
    await onPage(next.value);
  }
}
