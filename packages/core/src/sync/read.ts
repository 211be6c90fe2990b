/**
 * Asks the directory for the next page while the current one is decided and written, so
 * the directory's latency and the database's work overlap instead of adding up.
 */
export async function* prefetched<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const result = await next;
    if (result.done) return;
    next = iterator.next();
    // Observed later by the await above; this only keeps an early exit from reporting it unhandled.
    next.catch(() => {});
    yield result.value;
  }
}
