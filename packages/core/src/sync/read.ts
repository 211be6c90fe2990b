import {
  type ChangesEnd,
  type Connector,
  type DirectoryChanges,
  forEachChange,
  type ReadInput,
} from "@roster/connector-kit";

/**
 * Asks the directory for the next page while the current one is decided and written, so
 * the directory's latency and the database's work overlap instead of adding up. Keeps the
 * source's return value (a change stream returns its next cursor).
 */
export async function* prefetched<T, R>(source: AsyncIterator<T, R>): AsyncGenerator<T, R> {
  let next = source.next();
  for (;;) {
    const result = await next;
    if (result.done) return result.value;
    next = source.next();
    // Observed later by the await above; this only keeps an early exit from reporting it unhandled.
    next.catch(() => {});
    yield result.value;
  }
}

/** What a run reads: everything, or the changes since `cursor`. */
export type ReadPlan = { mode: "full" } | { mode: "incremental"; cursor: string };

/**
 * Reads the directory as pages of changes: a full read is every user upserted (and, for a
 * connector with change reads, ends with a cursor); an incremental read is what changed.
 * Resolves to the next cursor, or null for a connector without change reads.
 */
export async function readDirectory(
  connector: Connector,
  input: ReadInput<Record<string, unknown>>,
  plan: ReadPlan,
  onPage: (page: DirectoryChanges) => Promise<void>,
): Promise<ChangesEnd | null> {
  const settings = input as ReadInput<never>;
  if (!connector.readChanges) {
    const pages = prefetched(connector.readUsers(settings)[Symbol.asyncIterator]());
    for await (const upserted of pages) await onPage({ upserted, removed: [] });
    return null;
  }
  const cursor = plan.mode === "incremental" ? plan.cursor : null;
  return forEachChange(prefetched(connector.readChanges(settings, cursor)), onPage);
}
