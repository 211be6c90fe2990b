import { timingSafeEqual } from "node:crypto";
import { seededRandom } from "@roster/entra-sim";
import { Hono } from "hono";
import type { Faults, RequestCounts } from "./faults.ts";
import type { SimGoogle } from "./model.ts";

/**
 * Control routes for a simulator running in another process (demo, benchmarks): change a
 * Workspace, set faults and latency, read request counts. Off unless a token is given.
 */
export function controlRoutes(options: {
  google: SimGoogle;
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

  /** A day of churn in one Workspace: adds, renames, suspends and deletes `percent` % each. */
  app.post("/customers/:customer/churn", async (c) => {
    const workspace = options.google.workspaces.get(c.req.param("customer"));
    if (!workspace) return c.json({ error: "unknown customer" }, 404);
    const { percent = 1, seed = 7 } = (await c.req.json().catch(() => ({}))) as {
      percent?: number;
      seed?: number;
    };
    const random = seededRandom(seed);
    const users = workspace.sortedUsers().filter((user) => !user.isAdmin);
    const count = Math.max(1, Math.floor((users.length * percent) / 100));
    for (let i = 0; i < count; i += 1) {
      const id = `1${Array.from({ length: 20 }, () => Math.floor(random() * 10)).join("")}`;
      workspace.upsertUser({
        id,
        primaryEmail: `hire${seed}x${i}@${workspace.primaryDomain}`,
        name: { givenName: "New", familyName: `Hire${i}`, fullName: `New Hire${i}` },
        isAdmin: false,
        suspended: false,
        archived: false,
        orgUnitPath: "/",
        creationTime: new Date().toISOString(),
      });
    }
    const pickAt = (i: number, offset: number) => users[(i * 3 + offset) % users.length];
    for (let i = 0; i < count; i += 1) {
      const renamed = pickAt(i, 0);
      if (renamed) {
        const name = renamed.name ?? {};
        workspace.upsertUser({
          ...renamed,
          name: { ...name, familyName: `${name.familyName ?? ""}-Renamed` },
        });
      }
      const suspended = pickAt(i, 1);
      if (suspended) workspace.upsertUser({ ...suspended, suspended: true });
      const removed = pickAt(i, 2);
      if (removed) workspace.deleteUser(removed.id);
    }
    return c.json({ added: count, renamed: count, suspended: count, removed: count });
  });
  return app;
}
