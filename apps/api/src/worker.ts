/**
 * The API tier in a Workers runtime (Cloudflare Workers; tested in miniflare): the same Hono
 * app over a libSQL server reached by `@libsql/client/web` (an https:// or http:// URL).
 * Nothing runs at load — no await, no file paths — the app is built on the first request
 * from the bindings. Syncs never run inside a request: Sync now and the Cron Trigger only
 * claim runs (`handOffRuns`) and a sync worker (`bun run sync-worker`) executes them.
 * Migrations run before a deploy (`bun run db:migrate`). The admin UI's files are static
 * assets (`bun run build:web`), served in front of this script.
 */
import {
  type CoreDeps,
  createKeyring,
  createLogger,
  parseSecretKey,
  scheduledTick,
  systemClock,
} from "@roster/core";
import { createRemoteDb } from "@roster/db/remote";
import { createEmailTransport } from "@roster/email";
import { createApp } from "./app.ts";
import { readConfig } from "./config.ts";
import { connectorRegistry, installedConnectors } from "./connectors.ts";
import { usePrecompiledWasm } from "./edge/precompiled-wasm.ts";
// Written by `bun run build:worker` beside the bundle: hash-wasm's modules, compiled by the runtime.
// @ts-expect-error generated at build time
import precompiled from "./precompiled-wasm-modules.js";

type Bindings = Record<string, string | undefined>;
type Scheduled = { waitUntil(promise: Promise<unknown>): void };

usePrecompiledWasm(precompiled as Record<number, WebAssembly.Module>);

let service: { app: ReturnType<typeof createApp>; deps: CoreDeps } | null = null;

/** Built once per isolate from its bindings (the same variables as the Bun service). */
function serviceFor(env: Bindings) {
  if (service) return service;
  const config = readConfig(env);
  if (!config.ROSTER_SECRET_KEY) throw new Error("ROSTER_SECRET_KEY must be set at the edge");
  const deps: CoreDeps = {
    db: createRemoteDb({ url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN }),
    clock: systemClock,
    log: createLogger({ level: config.ROSTER_LOG_LEVEL }),
    keyring: createKeyring(parseSecretKey(config.ROSTER_SECRET_KEY)),
    connectors: connectorRegistry(installedConnectors(config)),
    // Only queued: the sync worker's dispatcher delivers (it runs beside the executed runs).
    email: createEmailTransport({}),
    leaseMs: config.ROSTER_RUN_LEASE_SECONDS * 1000,
    maxConnectionsPerTenant: config.ROSTER_MAX_CONNECTIONS_PER_TENANT,
    instanceId: "edge",
    handOffRuns: true,
  };
  const app = createApp({
    deps,
    operatorToken: config.ROSTER_OPERATOR_TOKEN,
    localOutbox: !config.RESEND_API_KEY,
    publicUrl: config.publicUrl,
    trustedProxies: config.ROSTER_TRUSTED_PROXIES,
    serveAssets: false,
  });
  service = { app, deps };
  return service;
}

export default {
  fetch(request: Request, env: Bindings, ctx: unknown) {
    // Cloudflare sets CF-Connecting-IP at its edge (a client cannot): the peer address the
    // login throttle keys on, handed over in the shape of Bun's server (`requestIP`).
    const address = request.headers.get("cf-connecting-ip");
    const peer = {
      requestIP: () =>
        address ? { address, family: address.includes(":") ? "IPv6" : "IPv4", port: 0 } : null,
    };
    return serviceFor(env).app.fetch(request, peer, ctx as never);
  },
  /** The Cron Trigger: the scheduler's own tick (due runs claimed for the sync worker). */
  scheduled(_controller: unknown, env: Bindings, ctx: Scheduled) {
    ctx.waitUntil(scheduledTick(serviceFor(env).deps));
  },
};
