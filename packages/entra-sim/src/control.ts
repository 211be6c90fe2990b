import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { type ChurnOptions, churnDay } from "./churn.ts";
import type { Faults, RequestCounts } from "./faults.ts";
import type { SimDirectory } from "./model.ts";

/**
 * Control routes for a simulator running in another process (benchmark, fault suite):
 * change the directory, set faults, read request counts. Off unless a token is given.
 */
export function controlRoutes(options: {
  directory: SimDirectory;
  token: string;
  setFaults(faults: Faults): void;
  counts: RequestCounts;
}) {
  const app = new Hono();
  app.use("*", async (c, next) => {
    const given = Buffer.from(c.req.header("x-sim-control") ?? "");
    const wanted = Buffer.from(options.token);
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
      return c.json({ error: "forbidden" }, 403);
    }
    await next();
  });

  app.put("/faults", async (c) => {
    options.setFaults((await c.req.json()) as Faults);
    return c.body(null, 204);
  });

  app.get("/counts", (c) => c.json(options.counts));

  /** A day of churn (see `churnDay`): `{ percent, seed, mix: "basic" | "all" }`. */
  app.post("/tenants/:tenant/churn", async (c) => {
    const tenant = options.directory.find(c.req.param("tenant"));
    if (!tenant) return c.json({ error: "unknown tenant" }, 404);
    const body = (await c.req.json().catch(() => ({}))) as ChurnOptions;
    return c.json(churnDay(tenant, body));
  });

  /** Tenant maintenance: every delta token issued so far answers 410 Gone. */
  app.post("/tenants/:tenant/reset-delta", (c) => {
    const tenant = options.directory.find(c.req.param("tenant"));
    if (!tenant) return c.json({ error: "unknown tenant" }, 404);
    tenant.syncResetAt = tenant.now() + 1;
    return c.body(null, 204);
  });

  /** Moves the simulator's clock forward: `{ ms }` (token expiry, deleted-item retention). */
  app.post("/clock", async (c) => {
    const { ms = 0 } = (await c.req.json().catch(() => ({}))) as { ms?: number };
    options.directory.advanceClock(ms);
    return c.body(null, 204);
  });
  return app;
}
