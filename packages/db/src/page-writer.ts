import type { InStatement } from "@libsql/client";

/** Runs write batches off the main thread; `batch` resolves or rejects like the client's. */
export type PageWriter = {
  batch(statements: InStatement[]): Promise<void>;
  close(): void;
};

type Reply = { id: number; ok: boolean; message?: string; code?: string | null };

/** A page writer on its own connection to a local database file (see write-worker.ts). */
export function openPageWriter(url: string): PageWriter {
  const worker = new Worker(new URL("./write-worker.ts", import.meta.url).href);
  worker.postMessage({ url });
  // An idle writer must not keep the process alive.
  (worker as unknown as { unref(): void }).unref();
  const pending = new Map<number, { resolve(): void; reject(error: Error): void }>();
  let next = 0;
  worker.onmessage = (event: MessageEvent<Reply>) => {
    const waiting = pending.get(event.data.id);
    pending.delete(event.data.id);
    if (!waiting) return;
    if (event.data.ok) waiting.resolve();
    else
      waiting.reject(
        Object.assign(new Error(event.data.message), { code: event.data.code ?? undefined }),
      );
  };
  // A worker that dies (out of memory, a native abort) fails what it was given, not hangs it.
  worker.onerror = (event: ErrorEvent) => {
    event.preventDefault();
    for (const waiting of pending.values())
      waiting.reject(new Error(`The page writer stopped: ${event.message}`));
    pending.clear();
  };
  return {
    batch(statements) {
      next += 1;
      const id = next;
      return new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, statements });
      });
    },
    close() {
      for (const waiting of pending.values())
        waiting.reject(new Error("The page writer was closed."));
      pending.clear();
      worker.terminate();
    },
  };
}
