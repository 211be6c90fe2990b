/**
 * The runs executing in this process. Shutdown stops taking new runs, aborts the running
 * ones between pages (each page is written whole) and waits for them to finish.
 */
export class RunTracker {
  private readonly running = new Map<
    string,
    { done: Promise<void>; controller: AbortController }
  >();
  private closed = false;

  get accepting(): boolean {
    return !this.closed;
  }

  get size(): number {
    return this.running.size;
  }

  start(runId: string, execute: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const done = execute(controller.signal).finally(() => this.running.delete(runId));
    this.running.set(runId, { done, controller });
    return done;
  }

  /** Resolves when every run of this process has finished. */
  idle(): Promise<void> {
    return Promise.allSettled([...this.running.values()].map((run) => run.done)).then(
      () => undefined,
    );
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const run of this.running.values()) run.controller.abort();
    await this.idle();
  }
}
