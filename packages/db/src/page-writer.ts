import type { InStatement } from "@libsql/client";

/** Rows a statement returned, by column name. */
export type ReturnedRows = Array<Record<string, unknown>>;

/** Runs write batches off the main thread; `batch` resolves or rejects like the client's. */
export type PageWriter = {
  batch(statements: InStatement[]): Promise<void>;
  /** A write batch whose statements' rows (`returning …`) come back, one list per statement. */
  returning?(statements: InStatement[]): Promise<ReturnedRows[]>;
  close(): void;
};

type Reply = {
  id: number;
  ok: boolean;
  rows?: ReturnedRows[];
  message?: string;
  code?: string | null;
};

/** A page writer on its own connection to a local database file (see write-worker.ts). */
export function openPageWriter(url: string): PageWriter {
  const worker = new Worker(new URL("./write-worker.ts", import.meta.url).href);
  worker.postMessage({ url });
  // An idle writer must not keep the process alive.
  (worker as unknown as { unref(): void }).unref();
  const pending = new Map<
    number,
    { resolve(rows: ReturnedRows[]): void; reject(error: Error): void }
  >();
  let next = 0;
  worker.onmessage = (event: MessageEvent<Reply>) => {
    const waiting = pending.get(event.data.id);
    pending.delete(event.data.id);
    if (!waiting) return;
    if (event.data.ok) waiting.resolve(event.data.rows ?? []);
    else
      waiting.reject(
        Object.assign(new Error(event.data.message), { code: event.data.code ?? undefined }),
      );
  };
  const send = (statements: InStatement[], returning: boolean) => {
    next += 1;
    const id = next;
    return new Promise<ReturnedRows[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, statements, returning });
    });
  };
  return {
    async batch(statements) {
      await send(statements, false);
    },
    returning: (statements) => send(statements, true),
    close() {
      for (const waiting of pending.values())
        waiting.reject(new Error("The page writer was closed."));
      pending.clear();
      worker.terminate();
    },
  };
}
