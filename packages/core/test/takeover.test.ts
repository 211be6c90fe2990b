import { describe, expect, test } from "bun:test";
import { type ToyDirectory, toyConnector, toyUser } from "@roster/connector-kit/testing";
import { newId, sessions, syncExclusions, userRoles, users } from "@roster/db";
import { eq } from "drizzle-orm";
import {
  claimRun,
  confirmReview,
  connectConnection,
  createConnection,
  executeRun,
  getRun,
} from "../src/index.ts";
import { addUser, seedTenant, testDeps } from "./support.ts";

/** spec §4.11: directory data never takes over a privileged account. */
async function setup(settings: Record<string, unknown>) {
  const directory: ToyDirectory = {
    users: [toyUser("ext-admin", { email: "admin@acme.example" }), toyUser("u1"), toyUser("u2")],
    groups: [],
  };
  const env = await testDeps([toyConnector(directory)]);
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, { type: "toy", settings, secret: "s" });
  await connectConnection(tenant.ctx, connection.id);
  const waitFor = async (runId: string) => {
    await env.deps.tracker?.idle();
    return getRun(tenant.ctx, runId);
  };
  const run = async () => {
    const runId = await claimRun(env.deps, {
      tenantId: tenant.tenantId,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: tenant.adminId,
    });
    await executeRun(env.deps, runId);
    return getRun(tenant.ctx, runId);
  };
  const userRow = async (id: string) =>
    (await env.deps.db.db.select().from(users).where(eq(users.id, id)))[0];
  const rolesOf = async (id: string) =>
    (await env.deps.db.db.select().from(userRoles).where(eq(userRoles.userId, id))).map(
      (row) => row.roleId,
    );
  const setPassword = (id: string) =>
    env.deps.db.db.update(users).set({ passwordHash: "argon2-hash" }).where(eq(users.id, id));
  const openSession = (userId: string) =>
    env.deps.db.db.insert(sessions).values({
      id: newId("ses"),
      tenantId: tenant.tenantId,
      userId,
      tokenHash: crypto.randomUUID(),
      createdAt: env.deps.clock.now(),
      expiresAt: new Date(env.deps.clock.now().getTime() + 3_600_000),
    });
  return {
    ...env,
    ...tenant,
    connection,
    directory,
    run,
    waitFor,
    userRow,
    rolesOf,
    setPassword,
    openSession,
  };
}

describe("directory data never takes over a privileged account", () => {
  test("a soft-deleted Administrator is not restored without a confirmation, then comes back as User only", async () => {
    const env = await setup({});
    const gone = await addUser(env.deps, env.tenantId, {
      email: "ADMIN2@acme.example",
      role: env.roleIds.Administrator,
      deleted: true,
    });
    env.directory.users.push(toyUser("ext-admin2", { email: "admin2@acme.example" }));
    const held = await env.run();
    expect(held.outcome).toBe("needs_review");
    expect(held.held).toEqual([
      expect.objectContaining({ userId: gone, email: "admin2@acme.example" }),
    ]);
    expect(held.held[0]?.reason).toContain("holds a role with permissions");
    expect(await env.userRow(gone)).toMatchObject({
      deletedAt: expect.any(Date),
      signIn: "password",
    });
    expect(await env.rolesOf(gone)).toEqual([env.roleIds.Administrator as string]);

    const confirmed = await env.waitFor((await confirmReview(env.ctx, held.id)).id);
    expect(confirmed.outcome).toBe("succeeded");
    expect(confirmed.counts.restored).toBe(1);
    expect(await env.userRow(gone)).toMatchObject({ deletedAt: null, signIn: "microsoft" });
    expect(await env.rolesOf(gone)).toEqual([env.roleIds.User as string]);
  });

  test("with 'Manage existing users' the only local administrator is neither linked nor locked out", async () => {
    const env = await setup({ manageExistingUsers: true });
    await env.setPassword(env.adminId);
    const held = await env.run();
    expect(held.outcome).toBe("needs_review");
    expect(held.counts).toMatchObject({ created: 2, skipped: 1, updated: 0 });
    expect(held.held.map((user) => user.userId)).toEqual([env.adminId]);
    expect(await env.userRow(env.adminId)).toMatchObject({
      signIn: "password",
      passwordHash: "argon2-hash",
      connectionId: null,
    });
    // Confirmed, the last administrator still keeps signing in as before.
    const confirmed = await env.waitFor((await confirmReview(env.ctx, held.id)).id);
    expect(confirmed.outcome).toBe("succeeded");
    expect(confirmed.warnings).toEqual([
      expect.objectContaining({ code: "last_administrator_kept", email: "admin@acme.example" }),
    ]);
    expect(await env.userRow(env.adminId)).toMatchObject({
      signIn: "password",
      passwordHash: "argon2-hash",
    });
  });

  test("a confirmed conversion links the user, ends its sessions and keeps another administrator", async () => {
    const env = await setup({ manageExistingUsers: true });
    await addUser(env.deps, env.tenantId, {
      email: "other@acme.example",
      role: env.roleIds.Administrator,
    });
    await env.setPassword(env.adminId);
    await env.openSession(env.adminId);
    const held = await env.run();
    const confirmed = await env.waitFor(
      (await confirmReview(env.ctx, held.id, { confirmUsers: [env.adminId] })).id,
    );
    expect(confirmed.outcome).toBe("succeeded");
    expect(await env.userRow(env.adminId)).toMatchObject({
      signIn: "microsoft",
      passwordHash: null,
      externalId: "ext-admin",
    });
    const left = await env.deps.db.db
      .select()
      .from(sessions)
      .where(eq(sessions.userId, env.adminId));
    expect(left).toEqual([]);
  });

  test("a user with a password but no role is held too; one left alone is never taken over", async () => {
    const env = await setup({ manageExistingUsers: true });
    const local = await addUser(env.deps, env.tenantId, { email: "u1@example.com" });
    await env.setPassword(local);
    await addUser(env.deps, env.tenantId, {
      email: "other@acme.example",
      role: env.roleIds.Administrator,
    });
    const held = await env.run();
    expect(held.held.map((user) => user.userId).sort()).toEqual([env.adminId, local].sort());
    const next = await env.waitFor(
      (
        await confirmReview(env.ctx, held.id, {
          confirmUsers: [],
          leaveAlone: [local, env.adminId],
        })
      ).id,
    );
    expect(next.outcome).toBe("succeeded");
    expect(next.counts).toMatchObject({ skipped: 2, unchanged: 1, created: 0 });
    expect(await env.userRow(local)).toMatchObject({ signIn: "password", connectionId: null });
    const excluded = await env.deps.db.db.select().from(syncExclusions);
    expect(excluded).toHaveLength(2);
    // And on every later run.
    expect((await env.run()).outcome).toBe("succeeded");
  });

  test("only users the run held can be decided", async () => {
    const env = await setup({ manageExistingUsers: true });
    await env.setPassword(env.adminId);
    const held = await env.run();
    await expect(
      confirmReview(env.ctx, held.id, { confirmUsers: ["usr_somebody_else"] }),
    ).rejects.toMatchObject({ code: "validation_failed" });
  });
});
