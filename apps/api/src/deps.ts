import {
  type CoreDeps,
  createKeyring,
  createLogger,
  parseSecretKey,
  RunTracker,
  readOrCreateKeyFile,
  systemClock,
} from "@roster/core";
import { createDb, migrateDb } from "@roster/db";
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
  return {
    db,
    clock: systemClock,
    log: createLogger({ level: config.ROSTER_LOG_LEVEL }),
    keyring: createKeyring(key),
    connectors: connectorRegistry(installedConnectors(config)),
    email: createEmailTransport({
      resendApiKey: config.RESEND_API_KEY,
      resendBaseUrl: config.RESEND_BASE_URL,
      from: config.MAIL_FROM,
    }),
    tracker: new RunTracker(),
    leaseMs: config.ROSTER_RUN_LEASE_SECONDS * 1000,
    maxConnectionsPerTenant: config.ROSTER_MAX_CONNECTIONS_PER_TENANT,
    instanceId: `${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
  };
}
