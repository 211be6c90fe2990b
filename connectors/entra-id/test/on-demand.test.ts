import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  startEntraSim,
} from "@roster/entra-sim";
import { type EntraSettings, entraId } from "../src/index.ts";

/** searchGroups and readUser through the real Graph SDK against the simulator. */
let sim: EntraSim;
let tenant: GeneratedTenant;
let connector: ReturnType<typeof entraId>;
const log = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  const directory = new SimDirectory();
  tenant = generateTenant(directory, { users: 40, seed: 11 });
  sim = await startEntraSim({ directory });
  connector = entraId({
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    retry: { delaySeconds: 0, maxRetries: 1 },
    pageRetryDelayMs: 1,
  });
});
afterAll(() => sim.stop());

const settings = (overrides: Record<string, unknown> = {}): EntraSettings =>
  connector.settings.parse({
    applicationId: tenant.clientId,
    directoryId: tenant.tenantId,
    ...overrides,
  });
const input = (overrides: Record<string, unknown> = {}) => ({
  settings: settings(overrides),
  secret: tenant.secret,
  log,
});

describe("searchGroups", () => {
  test("finds groups by any word of the name, case-insensitively", async () => {
    const found = await connector.searchGroups?.(input(), "ENG");
    expect(found?.map((group) => group.name)).toEqual(["Engineering", "Field engineers"]);
    expect(found?.[0]?.externalId).toBe(tenant.groups.nestedChild);
  });

  test("a word must start with the query; quotes in the query are escaped", async () => {
    expect(await connector.searchGroups?.(input(), "ngineer")).toEqual([]);
    expect(await connector.searchGroups?.(input(), 'pilot "x')).toEqual([]);
  });

  test("an empty query lists the first groups", async () => {
    expect(await connector.searchGroups?.(input(), "")).toHaveLength(4);
  });

  test("without a group permission: missing_permission", async () => {
    const app = sim.directory.find(tenant.tenantId)?.apps.get(tenant.clientId);
    if (!app) throw new Error("no app");
    const saved = app.roles;
    app.roles = ["User.Read.All"];
    try {
      await expect(connector.searchGroups?.(input(), "eng")).rejects.toMatchObject({
        code: "missing_permission",
      });
    } finally {
      app.roles = saved;
    }
  });
});

describe("readUser", () => {
  const someone = () => {
    const users = sim.directory.find(tenant.tenantId)?.sortedUsers() ?? [];
    const user = users.find((candidate) => candidate.mail && candidate.accountEnabled);
    if (!user) throw new Error("no user");
    return user;
  };

  test("by id, with the template's fields", async () => {
    const user = someone();
    const found = await connector.readUser?.(
      { ...input(), fields: ["onPremisesSamAccountName", "department"] },
      { externalId: user.id },
    );
    expect(found?.inScope).toBe(true);
    expect(found?.user).toMatchObject({
      externalId: user.id,
      email: user.mail,
      attributes: { onPremisesSamAccountName: user.onPremisesSamAccountName ?? null },
    });
  });

  test("by email (mail), then by user principal name, ignoring case", async () => {
    const user = someone();
    const byMail = await connector.readUser?.(
      { ...input(), fields: [] },
      { email: (user.mail as string).toUpperCase() },
    );
    expect(byMail?.user.externalId).toBe(user.id);
    const byUpn = await connector.readUser?.(
      { ...input(), fields: [] },
      {
        email: tenant.edgeCases.noMailUsesUpn
          ? (sim.directory.find(tenant.tenantId)?.getUser(tenant.edgeCases.noMailUsesUpn)
              ?.userPrincipalName as string)
          : "",
      },
    );
    expect(byUpn?.user.externalId).toBe(tenant.edgeCases.noMailUsesUpn);
  });

  test("nobody by that id or email is null", async () => {
    const none = await connector.readUser?.(
      { ...input(), fields: [] },
      { externalId: "00000000-0000-0000-0000-000000000000" },
    );
    expect(none).toBeNull();
    expect(
      await connector.readUser?.({ ...input(), fields: [] }, { email: "o'brien@nowhere.example" }),
    ).toBeNull();
  });

  test("selected groups: in scope through nested groups (checkMemberGroups), out of scope otherwise", async () => {
    const directory = sim.directory.find(tenant.tenantId);
    const pilot = directory?.groups.get(tenant.groups.sample)?.memberIds ?? [];
    const staff =
      directory?.transitiveMembers(tenant.groups.nestedRoot).users.map((u) => u.id) ?? [];
    const scoped = {
      ...input({
        groups: { mode: "selected", ids: [tenant.groups.sample] },
        users: "selectedGroups",
      }),
      fields: [],
    };
    const member = await connector.readUser?.(scoped, { externalId: pilot[0] as string });
    expect(member?.inScope).toBe(true);
    const outsider = staff.find((id) => !pilot.includes(id)) as string;
    expect((await connector.readUser?.(scoped, { externalId: outsider }))?.inScope).toBe(false);
    // The root reaches the grandchild's members only through two levels of nesting.
    const nested = {
      ...input({
        groups: { mode: "selected", ids: [tenant.groups.nestedRoot] },
        users: "selectedGroups",
      }),
      fields: [],
    };
    const deep = directory?.groups
      .get(tenant.groups.nestedGrandchild)
      ?.memberIds.find((id) => directory.getUser(id));
    expect((await connector.readUser?.(nested, { externalId: deep as string }))?.inScope).toBe(
      true,
    );
  });
});
