import { bootstrapAdmin } from "@roster/core";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { createDeps, startDispatcher } from "./deps.ts";
import { startScheduler } from "./scheduler.ts";

/** The service: database, API, admin UI and (unless switched off) the scheduler. */
export async function startService(config: Config) {
  const deps = await createDeps(config);
  if (config.ROSTER_ADMIN_EMAIL && config.ROSTER_ADMIN_PASSWORD) {
    await bootstrapAdmin(deps, {
      email: config.ROSTER_ADMIN_EMAIL,
      password: config.ROSTER_ADMIN_PASSWORD,
    });
  }
  const app = createApp({
    deps,
    operatorToken: config.ROSTER_OPERATOR_TOKEN,
    localOutbox: deps.email?.kind !== "resend",
    publicUrl: config.publicUrl,
    trustedProxies: config.ROSTER_TRUSTED_PROXIES,
  });
  const server = Bun.serve({
    port: config.PORT,
    fetch: app.fetch,
    // Chosen, not Bun's 10 s default: no request waits on a directory any more (previews and
    // runs are background jobs the UI polls), so 30 s of silence means a dead client. A
    // timed-out request made Chromium re-send a preview ~15 times (issue 17). Bun allows 255 s.
    idleTimeout: 30,
  });
  const scheduler =
    config.ROSTER_SCHEDULER === "on" ? startScheduler(deps, startDispatcher(config, deps)) : null;
  deps.log.info("roster started", { url: server.url.href, scheduler: config.ROSTER_SCHEDULER });

  let stopping: Promise<void> | null = null;
  /** Graceful stop: no new runs, running ones end after their current page, then close. */
  const stop = () => {
    stopping ??= (async () => {
      deps.log.info("roster stopping");
      await scheduler?.stop();
      await deps.tracker?.shutdown();
      await server.stop();
      deps.db.close();
    })();
    return stopping;
  };
  return { deps, app, server, url: server.url.href.replace(/\/$/, ""), stop };
}
