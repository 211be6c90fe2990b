import type { InStatement } from "@libsql/client";
import { entraId } from "@roster/connector-entra-id";
import { createRegistry } from "@roster/connector-kit";
import {
  type CoreDeps,
  claimRun,
  connectConnection,
  createConnection,
  createKeyring,
  createTenant,
  executeRun,
  getRun,
  memoryLogger,
  parseSecretKey,
  RunTracker,
  systemClock,
} from "@roster/core";
import { createDb, type DbHandle, migrateDb, type ReturnedRows } from "@roster/db";
import { createTestDatabase, type TestDatabase } from "@roster/db/testing";

/** Where a bench or fault-suite instance keeps its data: an embedded file, or its own sqld. */
export type DbKind = "file" | "sqld";

export type Directory = { url: string; tenantId: string; clientId: string; secret: string };

/**
 * Wraps every database call — `execute`, and `batch` on the main connection and the writer
 * thread alike — e.g. to count or fail them.
 */
export type BatchHook = (
  run: () => Promise<unknown>,
  kind: "execute" | "batch",
) => Promise<unknown>;

function hooked(handle: DbHandle, hook: BatchHook): DbHandle {
  const client = new Proxy(handle.client, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key === "batch") {
        return (statements: InStatement[], mode?: "write") =>
          hook(() => target.batch(statements, mode), "batch");
      }
      if (key === "execute") {
        return (statement: InStatement) => hook(() => target.execute(statement), "execute");
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const open = handle.openPageWriter;
  return {
    ...handle,
    client,
    openPageWriter: open
      ? () => {
          const writer = open();
          const { returning, read } = writer;
          return {
            batch: async (statements) =>
              (await hook(() => writer.batch(statements), "batch")) as number[],
            ...(returning && {
              returning: async (statements: InStatement[]) =>
                (await hook(() => returning(statements), "batch")) as ReturnedRows[],
            }),
            ...(read && {
              read: async (statement: InStatement) =>
                (await hook(() => read(statement), "execute")) as ReturnedRows,
            }),
            get alive() {
              return writer.alive;
            },
            close: () => writer.close(),
          };
        }
      : undefined,
  };
}

/**
 * A Roster on a fresh database (a file, or its own sqld: `kind`, by default `ROSTER_TEST_DB`)
 * with one tenant and an Entra connection to `directory`,
 * connected and ready to run — what the benchmark and the fault suite each start from.
 */
export async function rosterInstance(
  directory: Directory,
  settings: Record<string, unknown>,
  hook?: BatchHook,
  /** Another tenant in an existing instance's database instead of a fresh file. */
  beside?: { handle: DbHandle; slug: string },
  kind?: DbKind,
) {
  const database = beside ? null : await createTestDatabase("bench", kind);
  const handle = beside?.handle ?? (await createDb({ url: (database as TestDatabase).url }));
  if (!beside) await migrateDb(handle.db);
  const slug = beside?.slug ?? "bench";
  const connector = entraId({
    authorityHost: directory.url,
    graphBaseUrl: directory.url,
    pageRetryDelayMs: 10,
  });
  const deps: CoreDeps = {
    db: hook ? hooked(handle, hook) : handle,
    clock: systemClock,
    log: memoryLogger(),
    keyring: createKeyring(parseSecretKey(Buffer.alloc(32, 9).toString("base64"))),
    connectors: createRegistry([connector]),
    tracker: new RunTracker(),
  };
  const { tenant, admin } = await createTenant(deps, {
    slug,
    name: "Bench",
    admin: {
      email: `admin@${slug}.test`,
      password: "bench-password",
      firstName: "B",
      lastName: "A",
    },
  });
  const ctx = { ...deps, tenantId: tenant.id, actor: { kind: "user" as const, userId: admin.id } };
  const allSettings = {
    applicationId: directory.clientId,
    directoryId: directory.tenantId,
    ...settings,
  };
  const connection = await createConnection(ctx, {
    type: "entra-id",
    settings: allSettings,
    secret: directory.secret,
  });
  await connectConnection(ctx, connection.id);
  /** One run; `full` reads everything, by default it reads only the changes when it can. */
  const run = async (mode?: "full" | "incremental") => {
    const runId = await claimRun(deps, {
      tenantId: tenant.id,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: admin.id,
      mode,
    });
    await executeRun(deps, runId);
    return getRun(ctx, runId);
  };
  /** Closes the database, and stops its sqld if it has one of its own. */
  const close = async () => {
    handle.close();
    await database?.stop();
  };
  return {
    handle,
    url: database?.url,
    deps,
    ctx,
    tenant,
    connector,
    settings: allSettings,
    run,
    close,
  };
}
