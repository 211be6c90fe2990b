/**
 * The Roster the benchmark measures: an instance on a fresh database (or beside another
 * tenant's) against a simulator process, counting database round trips, with the runs
 * checked for the read they were meant to do.
 */
import { type DbKind, rosterInstance } from "./instance.ts";
import type { SimProcess } from "./sim-process.ts";

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

export type ReadMode = "full" | "incremental";

export async function measuredRoster(
  sim: SimProcess,
  beside?: Parameters<typeof rosterInstance>[3],
  kind?: DbKind,
) {
  const trips = { count: 0 };
  // Spec defaults, plus deletion so the churn runs delete.
  const instance = await rosterInstance(
    sim,
    { manageUserDeletion: true },
    (run) => {
      trips.count += 1;
      return run();
    },
    beside,
    kind,
  );
  /**
   * One run asking for `mode` (none: what the engine chooses). Throws if it failed, or if it
   * read otherwise than `expect` says: a row labelled incremental must not time a full read.
   */
  const sync = async (mode?: ReadMode, expect?: ReadMode) => {
    const run = await instance.run(mode);
    if (run.outcome === "failed") throw new Error(`run failed: ${run.error}`);
    if (expect && run.mode !== expect)
      throw new Error(
        `a run expected to read ${expect} read ${run.mode} (fullReason ${run.fullReason})`,
      );
    return run;
  };
  /** Baseline (a): every page read through the Entra connector, nothing else. */
  const read = async () => {
    let count = 0;
    const parsed = instance.connector.settings.parse(instance.settings);
    for await (const page of instance.connector.readUsers({
      settings: parsed,
      secret: sim.secret,
      log: quiet,
      fields: ["onPremisesSamAccountName"],
    })) {
      count += page.length;
    }
    return count;
  };
  return { ...instance, sync, read, trips };
}

export type MeasuredRoster = Awaited<ReturnType<typeof measuredRoster>>;

/** The Graph requests the simulator answered during `work`, per route (e.g. `/v1.0/users/delta`). */
export async function graphRequestsDuring<T>(
  sim: SimProcess,
  work: () => Promise<T>,
): Promise<{ result: T; requests: Record<string, number> }> {
  const before = (await sim.counts()).byRoute;
  const result = await work();
  const after = (await sim.counts()).byRoute;
  const requests: Record<string, number> = {};
  for (const [route, count] of Object.entries(after)) {
    const made = count - (before[route] ?? 0);
    if (made > 0) requests[route] = made;
  }
  return { result, requests };
}
