import { join } from "node:path";
import type { ChurnResult, Faults, RequestCounts } from "@roster/entra-sim";
import { firstLineOf } from "./started-child.ts";

export type SimProcess = {
  url: string;
  controlToken: string;
  tenantId: string;
  clientId: string;
  secret: string;
  control(method: string, path: string, body?: unknown): Promise<unknown>;
  /** Replaces the simulator's faults (`{}` clears them), e.g. `{ latencyMs: 500 }`. */
  setFaults(faults: Faults): Promise<void>;
  /** Requests the simulator answered so far, per route. */
  counts(): Promise<RequestCounts>;
  /** A day of churn in the tenant (adds, renames, removes `percent` % each); seed it per day. */
  churn(percent: number, seed: number): Promise<ChurnResult>;
  stop(): void;
};

/** The Entra simulator in its own process, so its CPU is not the benchmark's. */
export async function spawnSim(users: number, seed: number): Promise<SimProcess> {
  const child = Bun.spawn(
    [
      "bun",
      join(import.meta.dir, "..", "packages", "entra-sim", "src", "cli.ts"),
      "--users",
      String(users),
      "--port",
      "0",
      "--seed",
      String(seed),
      "--json",
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const line = await firstLineOf(child.stdout, "the simulator");
  const info = JSON.parse(line) as Omit<SimProcess, "control" | "stop">;
  const control = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${info.url}/_sim${path}`, {
      method,
      headers: { "x-sim-control": info.controlToken, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`simulator control ${method} ${path}: ${response.status}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    ...info,
    control,
    setFaults: async (faults) => {
      await control("PUT", "/faults", faults);
    },
    counts: async () => (await control("GET", "/counts")) as RequestCounts,
    churn: async (percent, seed) =>
      (await control("POST", `/tenants/${info.tenantId}/churn`, { percent, seed })) as ChurnResult,
    stop: () => child.kill(),
  };
}
