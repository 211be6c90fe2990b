import type { ConnectorRegistry } from "@roster/connector-kit";
import type { DbHandle } from "@roster/db";
import type { EmailTransport } from "@roster/email";
import type { Clock } from "./clock.ts";
import type { Logger } from "./logger.ts";
import type { RunTracker } from "./runs/tracker.ts";
import type { Keyring } from "./secrets.ts";

/** What every core verb may use; built once by the app, passed down, never imported. */
export type CoreDeps = {
  db: DbHandle;
  clock: Clock;
  log: Logger;
  keyring: Keyring;
  connectors: ConnectorRegistry;
  /** Product name used in emails and notifications. */
  appName?: string;
  /** Where email goes; without one, messages stay in the local outbox. */
  email?: EmailTransport;
  /** Names this process on run leases, so another instance can tell whose run it is. */
  instanceId?: string;
  /** How long a run stays claimed without a renewal (default 2 minutes). */
  leaseMs?: number;
  /** Connections one tenant may have (default 20, `ROSTER_MAX_CONNECTIONS_PER_TENANT`). */
  maxConnectionsPerTenant?: number;
  /**
   * The outbox dispatcher of this process, if it runs one (scheduler on, Resend configured):
   * whoever commits outbox rows wakes it, so they go out without waiting for its next poll.
   */
  emailDispatcher?: { wake(): void };
  /**
   * Claim runs without executing them (the Workers entry): a sync worker process takes and
   * executes them (runs/handoff.ts). No sync runs inside a request at the edge.
   */
  handOffRuns?: boolean;
  /** Runs executing in this process, so shutdown can wait for them. */
  tracker?: RunTracker;
};

/** Who is acting: a signed-in user, or the system (scheduler, bootstrap). */
export type Actor = { kind: "user"; userId: string } | { kind: "system" };

/** A call on behalf of one tenant: every query filters by `tenantId`. */
export type Ctx = CoreDeps & { tenantId: string; actor: Actor };
