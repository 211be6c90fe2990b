import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import type { Faults, RequestCounts } from "./faults.ts";
import { seededGuid, seededRandom } from "./generate.ts";
import { blankUser, type SimDirectory } from "./model.ts";

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

  /** Adds, renames and removes `percent` % of a tenant's users each (a day of churn). */
  app.post("/tenants/:tenant/churn", async (c) => {
    const tenant = options.directory.find(c.req.param("tenant"));
    if (!tenant) return c.json({ error: "unknown tenant" }, 404);
    const { percent = 1, seed = 7 } = (await c.req.json().catch(() => ({}))) as {
      percent?: number;
      seed?: number;
    };
    const random = seededRandom(seed);
    const users = [...tenant.sortedUsers()];
    const count = Math.max(1, Math.floor((users.length * percent) / 100));
    for (let i = 0; i < count; i += 1) {
      const id = seededGuid(random);
      tenant.upsertUser({
        ...blankUser(id, `hire${seed}x${i}@${tenant.info.domain}`),
        mail: `hire${seed}x${i}@${tenant.info.domain}`,
        givenName: "New",
        surname: `Hire${i}`,
        displayName: `New Hire${i}`,
        onPremisesSamAccountName: `hire${seed}x${i}`,
      });
    }
    for (let i = 0; i < count; i += 1) {
      const user = users[(i * 2) % users.length];
      if (user) tenant.upsertUser({ ...user, surname: `${user.surname ?? ""}-Renamed` });
    }
    const removed = new Set<string>();
    for (let i = 0; i < count; i += 1) {
      const user = users[(i * 2 + 1) % users.length];
      if (user) removed.add(user.id);
    }
    tenant.deleteUsers([...removed]);
    return c.json({ added: count, renamed: count, removed: count });
  });
  return app;
}
