/**
 * The runs executing in this process. At most `maxConcurrent` execute at once (each holds a
 * directory read, a writer and the database's write lock in turn); the rest wait in the order
 * they started, their run still `running` in the database with its lease kept alive.
 * Shutdown stops taking new runs, aborts the running ones between pages (each page is
 * written whole) and the queued ones before they read, and waits for all of them to finish.
 */
export type RunTrackerOptions = {
  /** Runs executing at once in this process (`ROSTER_MAX_CONCURRENT_RUNS`, default 2). */
  maxConcurrent?: number;
  /** Renews a queued run's lease, so that no instance reaps it while it waits its turn. */
  keepQueuedAlive?: { everyMs: number; renew(runId: string): Promise<void> };
  /** A run that threw: logged, never an unhandled rejection. */
  onError?(runId: string, error: unknown): void;
};

export const DEFAULT_MAX_CONCURRENT_RUNS = 2;

type Tracked = { done: Promise<void>; controller: AbortController };

export class RunTracker {
  private readonly runs = new Map<string, Tracked>();
  /** Runs waiting for a turn, first come first served. */
  private readonly queue: Array<{ runId: string; begin(): void }> = [];
  private executing = 0;
  /** Cancelled while queued: let out at once, outside the cap. */
  private readonly leftQueue = new Set<string>();
  private closed = false;
  private readonly maxConcurrent: number;

  constructor(private readonly options: RunTrackerOptions = {}) {
    this.maxConcurrent = Math.max(1, options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_RUNS);
  }

  get accepting(): boolean {
    return !this.closed;
  }

  /** Runs of this process, executing or queued. */
  get size(): number {
    return this.runs.size;
  }

  /** Runs executing now (never more than the cap). */
  get active(): number {
    return this.executing;
  }

  /** Ids of the runs waiting for a turn, in the order they will start. */
  get queued(): string[] {
    return this.queue.map((entry) => entry.runId);
  }

  /** Executes the run now, or once a turn is free. The promise never rejects. */
  start(runId: string, execute: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const controller = new AbortController();
    const done = this.turn(runId)
      .then(() => execute(controller.signal))
      .catch((error: unknown) => this.options.onError?.(runId, error))
      .finally(() => {
        this.runs.delete(runId);
        this.executing -= 1;
        // A cancelled run let out of the queue took no real turn: it frees none.
        if (!this.leftQueue.delete(runId)) this.queue.shift()?.begin();
      });
    this.runs.set(runId, { done, controller });
    return done;
  }

  /** Resolves when this run may execute; counts it as executing from then on. */
  private turn(runId: string): Promise<void> {
    if (this.executing < this.maxConcurrent && this.queue.length === 0) {
      this.executing += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const keepAlive = this.options.keepQueuedAlive;
      const timer = keepAlive
        ? setInterval(() => {
            keepAlive.renew(runId).catch((error: unknown) => this.options.onError?.(runId, error));
          }, keepAlive.everyMs)
        : null;
      this.queue.push({
        runId,
        begin: () => {
          if (timer) clearInterval(timer);
          this.executing += 1;
          resolve();
        },
      });
    });
  }

  /**
   * Aborts a run of this process with `reason` (a cancel); a queued one leaves the queue and
   * ends at once. False when the run is not in this process.
   */
  cancel(runId: string, reason: unknown): boolean {
    const run = this.runs.get(runId);
    if (!run) return false;
    run.controller.abort(reason);
    const queued = this.queue.findIndex((entry) => entry.runId === runId);
    if (queued >= 0) {
      this.leftQueue.add(runId);
      this.queue.splice(queued, 1)[0]?.begin();
    }
    return true;
  }

  /** Resolves when every run of this process has finished. */
  idle(): Promise<void> {
    return Promise.allSettled([...this.runs.values()].map((run) => run.done)).then(() => undefined);
  }

  async shutdown(): Promise<void> {
    this.closed = true;
    for (const run of this.runs.values()) run.controller.abort();
    await this.idle();
  }
}
