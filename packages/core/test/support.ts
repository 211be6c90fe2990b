import { type Connector, createRegistry } from "@roster/connector-kit";
import { type ToyDirectory, toyConnector } from "@roster/connector-kit/testing";
import { createDb, migrateDb, newId, roles, tenants, userRoles, users } from "@roster/db";
import { createTestDatabase } from "@roster/db/testing";
import type { EmailTransport } from "@roster/email";
import { and, eq, isNull } from "drizzle-orm";
import {
  BUILT_IN_ROLES,
  type CoreDeps,
  type Ctx,
  claimRun,
  connectConnection,
  createConnection,
  createKeyring,
  executeRun,
  getRun,
  manualClock,
  memoryLogger,
  parseSecretKey,
  RunTracker,
} from "../src/index.ts";

/**
 * A fresh database with every migration applied, and the deps core needs. The database is a
 * file, or a sqld of its own with `ROSTER_TEST_DB=sqld` (it dies with the test process).
 */
export async function testDeps(connectors: Connector[], email?: EmailTransport) {
  const database = await createTestDatabase("core");
  const url = database.url;
  const db = await createDb({ url });
  await migrateDb(db.db);
  const clock = manualClock("2026-03-01T09:00:00Z");
  const log = memoryLogger();
  const deps: CoreDeps = {
    db,
    clock,
    log,
    keyring: createKeyring(parseSecretKey(Buffer.alloc(32, 7).toString("base64"))),
    connectors: createRegistry(connectors),
    email,
    tracker: new RunTracker(),
    instanceId: "test",
  };
  return { deps, clock, log, url, database };
}

/** A tenant with its built-in roles and one administrator (inserted directly). */
export async function seedTenant(deps: CoreDeps, slug = "acme") {
  const now = deps.clock.now();
  const tenantId = newId("ten");
  await deps.db.db
    .insert(tenants)
    .values({ id: tenantId, slug, name: `${slug} Inc`, createdAt: now, updatedAt: now });
  const roleIds: Record<string, string> = {};
  for (const role of BUILT_IN_ROLES) {
    roleIds[role.name] = newId("rol");
    await deps.db.db.insert(roles).values({
      id: roleIds[role.name] as string,
      tenantId,
      name: role.name,
      permissions: [...role.permissions],
      createdAt: now,
      updatedAt: now,
    });
  }
  const adminId = await addUser(deps, tenantId, {
    email: `admin@${slug}.example`,
    role: roleIds.Administrator,
  });
  const ctx: Ctx = { ...deps, tenantId, actor: { kind: "user", userId: adminId } };
  return { tenantId, adminId, roleIds, ctx };
}

export async function addUser(
  deps: CoreDeps,
  tenantId: string,
  input: {
    email: string;
    role?: string;
    connectionId?: string;
    externalId?: string;
    deleted?: boolean;
  },
) {
  const now = deps.clock.now();
  const id = newId("usr");
  await deps.db.db.insert(users).values({
    id,
    tenantId,
    email: input.email,
    firstName: "Pre",
    lastName: "Existing",
    signIn: "password",
    connectionId: input.connectionId ?? null,
    externalId: input.externalId ?? null,
    createdAt: now,
    updatedAt: now,
    deletedAt: input.deleted ? now : null,
  });
  if (input.role) await deps.db.db.insert(userRoles).values({ userId: id, roleId: input.role });
  return id;
}

/**
 * A tenant with one connected toy connection to `directory`, and how to run it: `run()` claims
 * and executes a run (manual by default; an automatic one has no one who triggered it) and
 * returns it as the API shows it; `mode` is what each run asks to read.
 */
export async function toySync(
  directory: ToyDirectory,
  settings: Record<string, unknown> = {},
  mode?: "full",
) {
  const env = await testDeps([toyConnector(directory)]);
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, {
    type: "toy",
    settings,
    secret: "s3cret",
  });
  await connectConnection(tenant.ctx, connection.id);
  const input = {
    tenantId: tenant.tenantId,
    connectionId: connection.id,
    trigger: "manual" as const,
    triggeredBy: tenant.adminId,
    ...(mode && { mode }),
  };
  const run = async (deps: CoreDeps = env.deps, trigger: "manual" | "automatic" = "manual") => {
    const runId = await claimRun(deps, {
      ...input,
      trigger,
      triggeredBy: trigger === "manual" ? tenant.adminId : null,
    });
    await executeRun(deps, runId);
    return getRun(tenant.ctx, runId);
  };
  /** Users of this connection not deleted. */
  const activeSynced = async () =>
    (
      await env.deps.db.db
        .select()
        .from(users)
        .where(and(eq(users.connectionId, connection.id), isNull(users.deletedAt)))
    ).length;
  return { ...env, ...tenant, connection, input, run, activeSynced };
}
