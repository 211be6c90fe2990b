/**
 * The fake Resend in its own process, so that the provider's CPU (parsing and validating 100
 * emails a request) is not counted as Roster's, as it is not against the real Resend.
 * Run as a script it prints `{ url, statsUrl }`; `spawnResend` starts it and reads its stats.
 */
import { startFakeResend } from "@roster/email/testing";
import { firstLineOf } from "./started-child.ts";

export type ResendStats = {
  delivered: number;
  /** Recipients delivered more than once (0 when every email went out exactly once). */
  duplicates: number;
  requests: number;
  rateLimited: number;
};

export type ResendProcess = {
  url: string;
  stats(): Promise<ResendStats>;
  /** How many emails it has accepted: cheap to ask often, unlike `stats`. */
  delivered(): Promise<number>;
  stop(): void;
};

export async function spawnResend(apiKey: string, rateLimit: number): Promise<ResendProcess> {
  const child = Bun.spawn(["bun", import.meta.path, apiKey, String(rateLimit)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const line = await firstLineOf(child.stdout, "the fake Resend");
  const info = JSON.parse(line) as { url: string; statsUrl: string };
  return {
    url: info.url,
    stats: async () => (await (await fetch(info.statsUrl)).json()) as ResendStats,
    delivered: async () => Number(await (await fetch(`${info.statsUrl}/delivered`)).text()),
    stop: () => child.kill(),
  };
}

if (import.meta.main) {
  const [apiKey = "re_bench", rate = "2"] = process.argv.slice(2);
  const resend = startFakeResend({ apiKey, rateLimit: Number(rate) });
  const stats = Bun.serve({
    port: 0,
    fetch(request) {
      if (new URL(request.url).pathname === "/delivered")
        return new Response(String(resend.delivered.length));
      const recipients = new Set(resend.delivered.map((email) => email.to.join(",")));
      return Response.json({
        delivered: resend.delivered.length,
        duplicates: resend.delivered.length - recipients.size,
        requests: resend.requests.length,
        rateLimited: resend.requests.filter((request) => request.status === 429).length,
      } satisfies ResendStats);
    },
  });
  console.log(JSON.stringify({ url: resend.url, statsUrl: `http://localhost:${stats.port}` }));
}
