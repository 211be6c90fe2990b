import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { entraId } from "@roster/connector-entra-id";
import { outbox, outboxBodies, syncRunIssues, userAliases, users } from "@roster/db";
import { createEmailTransport } from "@roster/email";
import { startFakeResend } from "@roster/email/testing";
import {
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  startEntraSim,
} from "@roster/entra-sim";
import { eq } from "drizzle-orm";
import {
  claimRun,
  connectConnection,
  createConnection,
  executeRun,
  getRun,
  previewSync,
  SYNCED_USER_TAG,
} from "../src/index.ts";
import { untilSettled, withDispatcher } from "./dispatch.ts";
import { seedTenant, testDeps } from "./support.ts";

const USERS = 300;
let sim: EntraSim;
let directory: GeneratedTenant;
const resend = startFakeResend({ apiKey: "re_test", rateLimit: 100 });
const dispatchers: Array<{ stop(): Promise<void> }> = [];

beforeAll(async () => {
  const simDirectory = new SimDirectory();
  directory = generateTenant(simDirectory, { users: USERS, seed: 11 });
  sim = await startEntraSim({ directory: simDirectory });
});
afterAll(async () => {
  for (const dispatcher of dispatchers) await dispatcher.stop();
  await sim.stop();
  resend.stop();
});

async function setup(settings: Record<string, unknown> = {}) {
  const connector = entraId({
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    retry: { delaySeconds: 0, maxRetries: 1 },
    pageRetryDelayMs: 1,
  });
  const email = createEmailTransport({ resendApiKey: "re_test", resendBaseUrl: resend.url });
  const env = await testDeps([connector], email);
  dispatchers.push(withDispatcher(env.deps, { ratePerSecond: 100 }));
  const tenant = await seedTenant(env.deps);
  const connection = await createConnection(tenant.ctx, {
    type: "entra-id",
    settings: { applicationId: directory.clientId, directoryId: directory.tenantId, ...settings },
    secret: directory.secret,
  });
  await connectConnection(tenant.ctx, connection.id);
  const run = async () => {
    const runId = await claimRun(env.deps, {
      tenantId: tenant.tenantId,
      connectionId: connection.id,
      trigger: "manual",
      triggeredBy: tenant.adminId,
      mode: "full",
    });
    await executeRun(env.deps, runId);
    return getRun(tenant.ctx, runId);
  };
  return { ...env, ...tenant, connection, run };
}

describe("a sync against the Entra simulator", () => {
  test("creates every valid user and reports each one it could not sync", async () => {
    const { run, deps, tenantId } = await setup({ sendPinEmails: true });
    const sent = resend.delivered.length;
    const result = await run();
    // 300 members + alice (guest with mail) + noah (UPN as email) + 2 display-name-only users
    // are created only with the display-name option; here: 300 + alice + noah + shared.one.
    expect(result.outcome).toBe("completed_with_errors");
    expect(result.counts).toMatchObject({ created: USERS + 3, failed: 6, skipped: 1, deleted: 0 });
    const codes = result.failures.map((failure) => failure.code).sort();
    expect(codes).toEqual([
      "duplicate_email",
      "missing_names",
      "missing_names",
      "missing_names",
      "missing_names",
      "no_email",
    ]);
    const guest = result.failures.find((failure) => failure.code === "no_email");
    expect(guest?.externalId).toBe(directory.edgeCases.guestWithoutMail);

    const rows = await deps.db.db.select().from(users).where(eq(users.tenantId, tenantId));
    const synced = rows.filter((row) => row.connectionId !== null);
    expect(synced).toHaveLength(USERS + 3);
    expect(
      synced.every((row) => row.signIn === "microsoft" && row.tags.includes(SYNCED_USER_TAG)),
    ).toBe(true);
    expect(new Set(synced.map((row) => row.pinHash)).size).toBe(USERS + 3);
    const noah = synced.find((row) => row.externalId === directory.edgeCases.noMailUsesUpn);
    expect(noah?.email).toBe(`no.mailbox@${directory.domain}`);
    const aliases = await deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.userId, noah?.id ?? ""));
    expect(aliases.map((alias) => alias.alias)).toEqual(["nmailbox"]);

    // One welcome email per new user, delivered through Resend by the dispatcher, the body
    // never kept in clear.
    expect(result.emails.sent + result.emails.pending).toBe(USERS + 3);
    await untilSettled(deps);
    expect(resend.delivered.length - sent).toBe(USERS + 3);
    const mails = await deps.db.db.select().from(outbox);
    expect(mails).toHaveLength(USERS + 3);
    expect(mails.every((mail) => mail.status === "sent" && mail.runId === result.id)).toBe(true);
    expect(await deps.db.db.select().from(outboxBodies)).toEqual([]);
  });

  test("a second run over the same directory changes nothing and sends nothing", async () => {
    const { run, deps } = await setup({ sendPinEmails: true });
    await run();
    await untilSettled(deps);
    const sent = resend.delivered.length;
    const second = await run();
    expect(second.counts).toMatchObject({
      created: 0,
      updated: 0,
      restored: 0,
      deleted: 0,
      unchanged: USERS + 3,
    });
    expect(second.emails).toEqual({ pending: 0, sent: 0, failed: 0 });
    await Bun.sleep(100);
    expect(resend.delivered.length).toBe(sent);
  });

  test("display names fill in missing first and last names when allowed", async () => {
    const { run, deps } = await setup({ allowDisplayName: true });
    const result = await run();
    expect(result.failures.map((failure) => failure.code).sort()).toEqual([
      "duplicate_email",
      "missing_names",
      "no_email",
    ]);
    const byExternal = async (id: string) =>
      (await deps.db.db.select().from(users).where(eq(users.externalId, id)))[0];
    expect(await byExternal(directory.edgeCases.displayNameComma)).toMatchObject({
      firstName: "Jane",
      lastName: "Doe",
    });
    expect(await byExternal(directory.edgeCases.displayNameWords)).toMatchObject({
      firstName: "Mary Ann",
      lastName: "Smith",
    });
    expect(await byExternal(directory.edgeCases.displayNameSingle)).toMatchObject({
      firstName: "Cher",
      lastName: "Cher",
    });
  });

  test("the spec's alias example, over nested selected groups", async () => {
    const { run, deps } = await setup({
      groups: { mode: "selected", ids: [directory.groups.nestedChild] },
      users: "selectedGroups",
      aliasTemplate: "%givenName%.%surName%;%surname%-%givenName%",
      aliasesWithoutInvalidCharacters: true,
    });
    const result = await run();
    // child ⊃ grandchild ⊃ root (a cycle) ⊃ child: everyone, each once.
    expect(result.counts.created + result.counts.failed + result.counts.skipped).toBe(USERS + 10);
    const noah = (
      await deps.db.db
        .select()
        .from(users)
        .where(eq(users.externalId, directory.edgeCases.noMailUsesUpn))
    )[0];
    const aliases = await deps.db.db
      .select()
      .from(userAliases)
      .where(eq(userAliases.userId, noah?.id ?? ""));
    expect(aliases.map((alias) => alias.alias).sort()).toEqual([
      "Mailbox-Noah",
      "Noah.Mailbox",
      "NoahMailbox",
    ]);
  });

  test("a 5xx on page 2 of 3 fails the run and deletes nobody", async () => {
    const { run, deps } = await setup({ manageUserDeletion: true });
    await run();
    // 2,000 more users make the listing three pages of 999; page 2 keeps failing.
    sim.setFaults({ failFromPage: 2 });
    const directoryTenant = sim.directory.find(directory.tenantId);
    const extra = Array.from({ length: 2000 }, (_, i) => ({
      ...(directoryTenant?.getUser(directory.edgeCases.noMailUsesUpn) as NonNullable<
        ReturnType<NonNullable<typeof directoryTenant>["getUser"]>
      >),
      id: `eeeeeeee-0000-4000-8000-${String(i).padStart(12, "0")}`,
      userPrincipalName: `bulk${i}@contoso.example`,
      mail: `bulk${i}@contoso.example`,
    }));
    for (const user of extra) directoryTenant?.upsertUser(user);
    try {
      const failed = await run();
      expect(failed.outcome).toBe("failed");
      expect(failed.counts.deleted).toBe(0);
      const active = (await deps.db.db.select().from(users)).filter(
        (row) => row.deletedAt === null,
      );
      expect(active.length).toBeGreaterThanOrEqual(USERS + 4);
    } finally {
      sim.setFaults({});
      for (const user of extra) directoryTenant?.deleteUser(user.id);
    }
  });

  test("preview reports the same counts and writes nothing", async () => {
    const { ctx, connection, deps, tenantId } = await setup();
    const preview = await previewSync(ctx, connection.id);
    expect(preview.counts).toMatchObject({ created: USERS + 3, failed: 6 });
    expect(preview.samples.created).toHaveLength(10);
    const rows = await deps.db.db.select().from(users).where(eq(users.tenantId, tenantId));
    expect(rows).toHaveLength(1);
  });

  test("a read cut short fails the run, keeps the pages it wrote and deletes nobody", async () => {
    const { run, deps } = await setup({ manageUserDeletion: true });
    await run();
    sim.setFaults({ failFromPage: 1 });
    const failed = await run();
    sim.setFaults({});
    expect(failed.outcome).toBe("failed");
    expect(failed.error).toContain("read_failed");
    expect(failed.counts.deleted).toBe(0);
    const active = (await deps.db.db.select().from(users)).filter((row) => row.deletedAt === null);
    expect(active).toHaveLength(USERS + 4);
    const issues = await deps.db.db
      .select()
      .from(syncRunIssues)
      .where(eq(syncRunIssues.runId, failed.id));
    expect(issues).toHaveLength(0);
  });
});
