import { describe, expect, test } from "bun:test";
import { RunTracker } from "../src/index.ts";

/** A run the test finishes by hand, recording when it started. */
function controllableRuns() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  let concurrent = 0;
  let peak = 0;
  const run = (id: string) => async (signal: AbortSignal) => {
    started.push(id);
    concurrent += 1;
    peak = Math.max(peak, concurrent);
    await new Promise<void>((resolve) => {
      finishers.set(id, resolve);
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve());
    });
    concurrent -= 1;
  };
  const finish = async (id: string) => {
    finishers.get(id)?.();
    await Bun.sleep(0);
  };
  return { run, finish, started, peak: () => peak };
}

describe("the run tracker", () => {
  test("never executes more than the cap at once, and starts queued runs in the order they came", async () => {
    const tracker = new RunTracker({ maxConcurrent: 2 });
    const runs = controllableRuns();
    const ids = ["r1", "r2", "r3", "r4", "r5"];
    for (const id of ids) void tracker.start(id, runs.run(id));
    await Bun.sleep(0);
    expect(runs.started).toEqual(["r1", "r2"]);
    expect(tracker.active).toBe(2);
    expect(tracker.queued).toEqual(["r3", "r4", "r5"]);
    expect(tracker.size).toBe(5);

    await runs.finish("r2");
    expect(runs.started).toEqual(["r1", "r2", "r3"]);
    // A run started now waits behind those already queued, even though it is asked later.
    void tracker.start("r6", runs.run("r6"));
    await runs.finish("r1");
    expect(runs.started).toEqual(["r1", "r2", "r3", "r4"]);
    for (const id of ["r3", "r4", "r5"]) await runs.finish(id);
    expect(runs.started).toEqual(["r1", "r2", "r3", "r4", "r5", "r6"]);
    await runs.finish("r6");
    await tracker.idle();
    expect(runs.peak()).toBe(2);
    expect(tracker.size).toBe(0);
    expect(tracker.active).toBe(0);
  });

  test("defaults to two at once; a failing run frees its turn and is reported, never rejected", async () => {
    const errors: Array<[string, unknown]> = [];
    const tracker = new RunTracker({ onError: (runId, error) => errors.push([runId, error]) });
    const runs = controllableRuns();
    const failing = tracker.start("bad", async () => {
      throw new Error("SQLITE_BUSY: database is locked");
    });
    void tracker.start("a", runs.run("a"));
    void tracker.start("b", runs.run("b"));
    void tracker.start("c", runs.run("c"));
    await failing; // resolves: a background run never becomes an unhandled rejection
    await Bun.sleep(0);
    expect(errors.map(([runId]) => runId)).toEqual(["bad"]);
    expect(runs.started).toEqual(["a", "b"]);
    expect(tracker.queued).toEqual(["c"]);
    await runs.finish("a");
    expect(runs.started).toEqual(["a", "b", "c"]);
    await tracker.shutdown();
  });

  test("a queued run's lease is renewed while it waits, and no longer once it runs", async () => {
    const renewed: string[] = [];
    const tracker = new RunTracker({
      maxConcurrent: 1,
      keepQueuedAlive: { everyMs: 10, renew: async (runId) => void renewed.push(runId) },
    });
    const runs = controllableRuns();
    void tracker.start("first", runs.run("first"));
    void tracker.start("second", runs.run("second"));
    await Bun.sleep(55);
    expect(renewed.length).toBeGreaterThanOrEqual(3);
    expect(new Set(renewed)).toEqual(new Set(["second"]));
    await runs.finish("first");
    const count = renewed.length;
    await Bun.sleep(40);
    expect(renewed.length).toBe(count);
    await tracker.shutdown();
  });

  test("shutdown aborts running and queued runs; every one ends", async () => {
    const tracker = new RunTracker({ maxConcurrent: 1 });
    const runs = controllableRuns();
    const done = ["x", "y", "z"].map((id) => tracker.start(id, runs.run(id)));
    await tracker.shutdown();
    await Promise.all(done);
    expect(runs.started).toEqual(["x", "y", "z"]);
    expect(tracker.accepting).toBe(false);
    expect(tracker.size).toBe(0);
  });
});
