import type { InStatement } from "@libsql/client";

/** Rows a statement returned, by column name. */
export type ReturnedRows = Array<Record<string, unknown>>;

/** Runs write batches off the main thread, each one transaction. */
export type PageWriter = {
  /** Resolves to each statement's rows affected. */
  batch(statements: InStatement[]): Promise<number[]>;
  /** A write batch whose statements' rows (`returning …`) come back, one list per statement. */
  returning?(statements: InStatement[]): Promise<ReturnedRows[]>;
  /**
   * One read on the thread's connection, outside any write: the query runs while the main
   * thread goes on (a run loads the tenant's users while the directory's pages come in).
   */
  read?(statement: InStatement): Promise<ReturnedRows>;
  /** False once the thread stopped, by `close` or by a crash: open a new writer then. */
  readonly alive: boolean;
  close(): void;
};

/** The writer thread stopped: nothing more can be written through it. */
export class WriterStoppedError extends Error {
  constructor(reason: string) {
    super(`The database writer thread stopped (${reason}); nothing more was written.`);
    this.name = "WriterStoppedError";
  }
}

type Reply = {
  id: number;
  ok: boolean;
  rowsAffected?: number[];
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
  const pending = new Map<number, { resolve(reply: Reply): void; reject(error: Error): void }>();
  let next = 0;
  let stopped: string | null = null;
  // Without this a thread that died (out of memory, a native abort, closed) would leave every
  // pending batch, and so its run, waiting forever.
  const stop = (reason: string) => {
    stopped ??= reason;
    for (const waiting of pending.values()) waiting.reject(new WriterStoppedError(stopped));
    pending.clear();
  };
  worker.addEventListener("error", (event) => {
    event.preventDefault();
    stop((event as ErrorEvent).message || "it crashed");
  });
  worker.addEventListener("close", () => stop("it exited"));
  worker.onmessage = (event: MessageEvent<Reply>) => {
    const waiting = pending.get(event.data.id);
    pending.delete(event.data.id);
    if (!waiting) return;
    if (event.data.ok) waiting.resolve(event.data);
    else
      waiting.reject(
        Object.assign(new Error(event.data.message), { code: event.data.code ?? undefined }),
      );
  };
  const send = (statements: InStatement[], returning: boolean, read = false) => {
    if (stopped) return Promise.reject(new WriterStoppedError(stopped));
    next += 1;
    const id = next;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, statements, returning, read });
    });
  };
  return {
    batch: async (statements) => (await send(statements, false)).rowsAffected ?? [],
    returning: async (statements) => (await send(statements, true)).rows ?? [],
    read: async (statement) => (await send([statement], true, true)).rows?.[0] ?? [],
    get alive() {
      return stopped === null;
    },
    close() {
      stop("it was closed");
      worker.terminate();
    },
  };
}
