/**
 * The slow-Graph section of the benchmark: the simulator answers every Graph request after
 * `latencyMs` (its `latencyMs` fault; the real Graph takes 1–3 s a page of 999 users), and a
 * day's run reads everything, or only the changes — the wall time an operator waits for.
 */

import { timed } from "./measure.ts";
import { graphRequestsDuring, type MeasuredRoster, measuredRoster } from "./measured-roster.ts";
import { type SimProcess, spawnSim } from "./sim-process.ts";

export type GraphLatencyRow = {
  run: string;
  mode: string;
  "wall s": number;
  "of full read": string;
  "Graph requests": number;
  "requests × latency s": number;
  "requests by route": string;
  "changes read": number;
};

/** One run, timed, with the Graph requests it made (counted outside the timing). */
async function measureRun(sim: SimProcess, work: () => ReturnType<MeasuredRoster["sync"]>) {
  const { result, requests } = await graphRequestsDuring(sim, () => timed(work));
  return { run: result.result, seconds: result.seconds, byRoute: requests };
}

export async function benchGraphLatency(
  users: number,
  latencyMs: number,
): Promise<GraphLatencyRow[]> {
  const sim = await spawnSim(users, 500);
  const roster = await measuredRoster(sim);
  try {
    // The state a daily run starts from: every user synced once (read at full speed).
    await roster.sync(undefined, "full");
    await sim.setFaults({ latencyMs });
    const full = await measureRun(sim, () => roster.sync("full", "full"));
    const quiet = await measureRun(sim, () => roster.sync("incremental", "incremental"));
    const day = await sim.churn(1, 9);
    const churn = await measureRun(sim, () => roster.sync("incremental", "incremental"));
    if (churn.run.counts.created !== day.added)
      throw new Error(
        `the churn day added ${day.added} users, the run created ${churn.run.counts.created}`,
      );
    const row = (name: string, measured: typeof full): GraphLatencyRow => {
      const requests = Object.values(measured.byRoute).reduce((sum, n) => sum + n, 0);
      const { counts } = measured.run;
      return {
        run: name,
        mode: measured.run.mode,
        "wall s": Number(measured.seconds.toFixed(2)),
        "of full read": `${((100 * measured.seconds) / full.seconds).toFixed(1)} %`,
        "Graph requests": requests,
        "requests × latency s": Number(((requests * latencyMs) / 1000).toFixed(1)),
        "requests by route": Object.entries(measured.byRoute)
          .map(([route, n]) => `${route} ${n}`)
          .join(", "),
        "changes read": counts.created + counts.updated + counts.restored + counts.deleted,
      };
    };
    return [
      row("no change, full read", full),
      row("no change, changes only", quiet),
      row("1 % churn, changes only", churn),
    ];
  } finally {
    await sim.setFaults({}).catch(() => {});
    await roster.close();
    sim.stop();
  }
}
