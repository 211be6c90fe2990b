import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createDb, migrateDb } from "@roster/db";
import { type Sqld, startSqld, testDbKind } from "@roster/db/testing";
import { type EntraSim, generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";
import { Miniflare } from "miniflare";

/**
 * The Workers entry in workerd (miniflare) against sqld, as deployed: the bundle and static
 * assets `bun run build:worker` writes, migrations run before, Sync now executed by a Bun
 * sync worker process. Every request below goes through the Workers instance.
 */
const ROOT = join(import.meta.dir, "..");
const DIST = join(ROOT, "dist", "worker-test");
const OPERATOR = "operator-token-for-the-edge-test";
const SECRET_KEY = Buffer.alloc(32, 6).toString("base64");
const ORIGIN = "http://roster.edge.test";

let sqld: Sqld;
let sim: EntraSim;
let mf: Miniflare;
let syncWorker: ReturnType<typeof Bun.spawn> | null = null;
const entra = (() => {
  const directory = new SimDirectory();
  return { directory, tenant: generateTenant(directory, { users: 60, seed: 21 }) };
})();

// It always runs on sqld (the edge needs a server); once is enough: the file pass runs it.
const suite = testDbKind() === "sqld" ? describe.skip : describe;

beforeAll(async () => {
  if (testDbKind() === "sqld") return;
  const built = Bun.spawnSync(["bun", join(ROOT, "src", "edge", "build-worker.ts"), DIST], {
    stderr: "pipe",
  });
  if (built.exitCode !== 0) throw new Error(`build:worker failed: ${built.stderr.toString()}`);
  sqld = await startSqld();
  const db = await createDb({ url: sqld.url });
  await migrateDb(db.db); // `bun run db:migrate`, before the deploy
  db.close();
  sim = await startEntraSim({ directory: entra.directory });
  const env = {
    DATABASE_URL: sqld.url,
    ROSTER_SECRET_KEY: SECRET_KEY,
    ROSTER_OPERATOR_TOKEN: OPERATOR,
    ROSTER_PUBLIC_URL: ORIGIN,
    AZURE_AUTHORITY_HOST: sim.url,
    GRAPH_BASE_URL: sim.url,
    ROSTER_LOG_LEVEL: "warn",
  };
  mf = new Miniflare({
    modules: true,
    scriptPath: join(DIST, "worker.js"),
    modulesRoot: DIST,
    modulesRules: [
      { type: "CompiledWasm", include: ["**/*.wasm"] },
      { type: "ESModule", include: ["**/*.js"] },
    ],
    compatibilityDate: "2026-07-01",
    compatibilityFlags: ["nodejs_compat"],
    bindings: env,
    // Static assets in front of the script, as Workers serves them.
    assets: { directory: join(DIST, "assets"), routerConfig: { has_user_worker: true } },
    // workerd's own network: sqld on 127.0.0.1, and the simulator's HTTPS under the local CA
    // (workerd ignores NODE_EXTRA_CA_CERTS; it trusts the certificates named here).
    outboundService: {
      network: {
        allow: ["public", "private", "local"],
        tlsOptions: {
          trustedCertificates: [readFileSync(process.env.NODE_EXTRA_CA_CERTS as string, "utf8")],
        },
      },
    },
  });
  syncWorker = Bun.spawn(["bun", join(ROOT, "src", "sync-worker.ts")], {
    env: { ...process.env, ...env, ROSTER_SYNC_WORKER_POLL_MS: "200" },
    stdout: "ignore",
    stderr: "inherit",
  });
}, 120_000);

afterAll(async () => {
  syncWorker?.kill();
  await syncWorker?.exited;
  await mf?.dispose();
  await sim?.stop();
  await sqld?.stop();
});

async function call(method: string, path: string, init: { token?: string; body?: unknown } = {}) {
  const response = await mf.dispatchFetch(`${ORIGIN}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      "cf-connecting-ip": "198.51.100.7",
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  const json =
    response.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : null;
  return { status: response.status, json, text, headers: response.headers };
}

suite("the Workers entry in miniflare, on sqld, with a Bun sync worker", () => {
  let token = "";
  let connectionId = "";

  test("the admin UI's page from the script and its assets as static files", async () => {
    const page = await call("GET", "/");
    expect(page.status).toBe(200);
    expect(page.text).toContain('<script type="module" src="/assets/app.js">');
    expect(page.headers.get("content-security-policy")).toContain("script-src");
    const script = await mf.dispatchFetch(`${ORIGIN}/assets/app.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(10_000);
    expect((await mf.dispatchFetch(`${ORIGIN}/api/docs/scalar.js`)).status).toBe(200);
  });

  test("a tenant, then password sign-in (argon2id in workerd)", async () => {
    const password = "edge-admin-password-7";
    const created = await call("POST", "/api/tenants", {
      token: OPERATOR,
      body: {
        slug: "edge",
        name: "Edge Ltd",
        admin: { email: "admin@edge.test", password, firstName: "Ed", lastName: "Ge" },
      },
    });
    expect(created.status).toBe(201);
    const wrong = await call("POST", "/api/auth/login", {
      body: { tenant: "edge", email: "admin@edge.test", password: "not-the-password-1" },
    });
    expect([wrong.status, wrong.json.error.code]).toEqual([401, "invalid_credentials"]);
    // The time per sign-in (one argon2id verification in workerd, plus the queries on sqld).
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      const login = await call("POST", "/api/auth/login", {
        body: { tenant: "edge", email: "admin@edge.test", password },
      });
      times.push(Math.round(performance.now() - started));
      expect(login.status).toBe(200);
      token = login.json.token;
    }
    console.log(`sign-in through workerd, ms: ${times.sort((a, b) => a - b).join(", ")}`);
  }, 30_000);

  test("users: the administrator is listed", async () => {
    const users = await call("GET", "/api/users", { token });
    expect(users.status).toBe(200);
    expect(users.json.items.map((user: { email: string }) => user.email)).toEqual([
      "admin@edge.test",
    ]);
  });

  test("connections: an Entra connection is created and connects to the simulator over HTTPS", async () => {
    const created = await call("POST", "/api/user-sync/connections", {
      token,
      body: {
        type: "entra-id",
        name: "Contoso",
        settings: { applicationId: entra.tenant.clientId, directoryId: entra.tenant.tenantId },
        secret: entra.tenant.secret,
      },
    });
    expect(created.status).toBe(201);
    connectionId = created.json.id;
    const connected = await call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
      token,
    });
    expect([connected.status, connected.text]).toEqual([200, expect.any(String)]);
    const listed = await call("GET", "/api/user-sync/connections", { token });
    expect(listed.json.items[0]).toMatchObject({ id: connectionId, status: "connected" });
  }, 30_000);

  test("Sync now is claimed by the Worker and executed by the sync worker; the run detail shows it", async () => {
    const started = await call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token,
    });
    expect(started.status).toBe(202);
    expect(started.json.run.outcome).toBe("running");
    const runId = started.json.run.id;
    let detail = await call("GET", `/api/user-sync/runs/${runId}`, { token });
    for (let i = 0; i < 300 && detail.json.outcome === "running"; i++) {
      await Bun.sleep(100);
      detail = await call("GET", `/api/user-sync/runs/${runId}`, { token });
    }
    expect(detail.status).toBe(200);
    expect(["succeeded", "completed_with_errors"]).toContain(detail.json.outcome);
    expect(detail.json.counts.created).toBeGreaterThan(50);
    const synced = await call("GET", "/api/users?tag=AD%20synced&limit=500", { token });
    expect(synced.json.items).toHaveLength(detail.json.counts.created);
  }, 60_000);
});
