import {
  type CoreDeps,
  createKeyring,
  createLogger,
  type EmailDispatcher,
  parseSecretKey,
  RunTracker,
  readOrCreateKeyFile,
  renewQueuedLease,
  startEmailDispatcherThread,
  systemClock,
} from "@roster/core";
import { createDb, migrateDb, serverCacheWarning } from "@roster/db";
import { createEmailTransport } from "@roster/email";
import type { Config } from "./config.ts";
import { connectorRegistry, installedConnectors } from "./connectors.ts";

/** Opens the database (migrating it), the keyring, email and connectors from the config. */
export async function createDeps(config: Config): Promise<CoreDeps> {
  const db = await createDb({ url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN });
  await migrateDb(db.db);
  const key = config.ROSTER_SECRET_KEY
    ? parseSecretKey(config.ROSTER_SECRET_KEY)
    : readOrCreateKeyFile(config.ROSTER_SECRET_KEY_FILE);
  const log = createLogger({ level: config.ROSTER_LOG_LEVEL });
  // On a libSQL server: a page cache too small for large syncs is the operator's to fix.
  if (!config.DATABASE_URL.startsWith("file:")) {
    const warning = await serverCacheWarning(db.client);
    if (warning) log.warn(warning);
  }
  const leaseMs = config.ROSTER_RUN_LEASE_SECONDS * 1000;
  const deps: CoreDeps = {
    db,
    clock: systemClock,
    log,
    keyring: createKeyring(key),
    connectors: connectorRegistry(installedConnectors(config)),
    email: createEmailTransport({
      resendApiKey: config.RESEND_API_KEY,
      resendBaseUrl: config.RESEND_BASE_URL,
      from: config.MAIL_FROM,
    }),
    leaseMs,
    maxConnectionsPerTenant: config.ROSTER_MAX_CONNECTIONS_PER_TENANT,
    instanceId: `${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
  };
  deps.tracker = new RunTracker({
    maxConcurrent: config.ROSTER_MAX_CONCURRENT_RUNS,
    // A queued run keeps its lease, renewed three times per lease, until its turn comes.
    keepQueuedAlive: { everyMs: leaseMs / 3, renew: (runId) => renewQueuedLease(deps, runId) },
    onError: (runId, error) =>
      log.error("run crashed", {
        runId,
        error: error instanceof Error ? error.message : String(error),
      }),
  });
  return deps;
}

/**
 * The outbox dispatcher for this process, on a thread of its own with its own connection
 * (outbox/dispatcher-thread.ts), or null without a Resend key: the outbox is the delivery.
 */
export function startDispatcher(config: Config, deps: CoreDeps): EmailDispatcher | null {
  if (deps.email?.kind !== "resend") return null;
  const dispatcher = startEmailDispatcherThread(
    {
      database: { url: config.DATABASE_URL, authToken: config.DATABASE_AUTH_TOKEN },
      secretKey: deps.keyring.current,
      email: {
        resendApiKey: config.RESEND_API_KEY,
        resendBaseUrl: config.RESEND_BASE_URL,
        from: config.MAIL_FROM,
      },
      instanceId: deps.instanceId,
      leaseMs: deps.leaseMs,
      options: { ratePerSecond: config.ROSTER_EMAIL_RATE },
    },
    deps.log,
  );
  deps.emailDispatcher = dispatcher;
  return dispatcher;
}
