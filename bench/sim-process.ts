import { join } from "node:path";

export type SimProcess = {
  url: string;
  controlToken: string;
  tenantId: string;
  clientId: string;
  secret: string;
  control(method: string, path: string, body?: unknown): Promise<unknown>;
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
  const reader = child.stdout.getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the simulator exited before it started");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const info = JSON.parse(text.split("\n")[0] as string) as Omit<SimProcess, "control" | "stop">;
  return {
    ...info,
    async control(method, path, body) {
      const response = await fetch(`${info.url}/_sim${path}`, {
        method,
        headers: { "x-sim-control": info.controlToken, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return response.status === 204 ? null : response.json();
    },
    stop: () => child.kill(),
  };
}
