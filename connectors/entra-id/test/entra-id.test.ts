import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConnectorError, type DirectoryUser } from "@roster/connector-kit";
import {
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  startEntraSim,
} from "@roster/entra-sim";
import { type EntraSettings, entraId } from "../src/index.ts";

const USERS = 1500;
let sim: EntraSim;
let tenant: GeneratedTenant;
let connector: ReturnType<typeof entraId>;
const log = { debug() {}, info() {}, warn() {}, error() {} };

beforeAll(async () => {
  const directory = new SimDirectory();
  tenant = generateTenant(directory, { users: USERS, seed: 3 });
  sim = await startEntraSim({ directory });
  connector = entraId({
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    retry: { delaySeconds: 0, maxRetries: 2 },
    pageRetryDelayMs: 10,
  });
});
afterAll(() => sim.stop());

const settings = (overrides: Record<string, unknown> = {}): EntraSettings =>
  connector.settings.parse({
    applicationId: tenant.clientId,
    directoryId: tenant.tenantId,
    ...overrides,
  });

const readAll = async (input: { settings: EntraSettings; secret?: string; fields?: string[] }) => {
  const pages: DirectoryUser[][] = [];
  for await (const page of connector.readUsers({
    settings: input.settings,
    secret: input.secret ?? tenant.secret,
    log,
    fields: input.fields ?? ["onPremisesSamAccountName"],
  })) {
    pages.push(page);
  }
  return pages;
};

const withRoles = async <T>(roles: string[], run: () => Promise<T>): Promise<T> => {
  const app = sim.directory.find(tenant.tenantId)?.apps.get(tenant.clientId);
  if (!app) throw new Error("no app");
  const saved = app.roles;
  app.roles = roles;
  try {
    return await run();
  } finally {
    app.roles = saved;
  }
};

describe("settings", () => {
  test("ids must be GUIDs; selected groups need groups", () => {
    const result = connector.settings.safeParse({
      applicationId: "not-a-guid",
      directoryId: tenant.tenantId,
      users: "selectedGroups",
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual([
      "applicationId",
      "users",
    ]);
    const noGroups = connector.settings.safeParse({
      applicationId: tenant.clientId,
      directoryId: tenant.tenantId,
      users: "selectedGroups",
    });
    expect(noGroups.error?.issues.map((issue) => issue.path.join("."))).toEqual(["users"]);
  });

  test("alias template fields match Graph properties case-insensitively", () => {
    expect(settings({ aliasTemplate: "%GivenName%.%SURNAME%" }).aliasTemplate).toBe(
      "%GivenName%.%SURNAME%",
    );
    const bad = connector.settings.safeParse({ ...settings(), aliasTemplate: "%shoeSize%" });
    expect(bad.error?.issues[0]?.message).toBe("Unknown alias field: shoeSize");
  });

  test("group ids are stored lower-case", () => {
    const parsed = settings({
      groups: { mode: "selected", ids: [tenant.groups.sample.toUpperCase()] },
    });
    expect(parsed.groups).toEqual({ mode: "selected", ids: [tenant.groups.sample] });
  });
});

describe("connect", () => {
  test("succeeds with good credentials and existing groups", async () => {
    const result = await connector.connect({
      settings: settings({ groups: { mode: "selected", ids: [tenant.groups.nestedRoot] } }),
      secret: tenant.secret,
      log,
    });
    expect(result).toEqual({ ok: true });
  });

  test.each([
    ["a wrong secret", {}, "wrong-secret", "invalid_secret"],
    [
      "an unknown application",
      { applicationId: "11111111-1111-4111-8111-111111111111" },
      undefined,
      "unknown_application",
    ],
    [
      "an unknown directory",
      { directoryId: "22222222-2222-4222-8222-222222222222" },
      undefined,
      "unknown_directory",
    ],
  ])("names %s", async (_case, overrides, secret, code) => {
    const result = await connector.connect({
      settings: settings(overrides),
      secret: secret ?? tenant.secret,
      log,
    });
    expect(result).toMatchObject({ ok: false, code });
    if (!result.ok) expect(result.message).not.toContain(tenant.secret);
  });

  test("names an expired secret", async () => {
    sim.directory
      .find(tenant.tenantId)
      ?.apps.get(tenant.clientId)
      ?.secrets.push({
        value: "expired-secret",
        expiresAt: new Date(Date.now() - 60_000),
      });
    const result = await connector.connect({ settings: settings(), secret: "expired-secret", log });
    expect(result).toMatchObject({ ok: false, code: "secret_expired" });
  });

  test("names the missing permission", async () => {
    const result = await withRoles(["GroupMember.Read.All"], () =>
      connector.connect({ settings: settings(), secret: tenant.secret, log }),
    );
    expect(result).toMatchObject({
      ok: false,
      code: "missing_permission",
      details: { permission: "User.Read.All" },
    });
    const groups = await withRoles(["User.Read.All"], () =>
      connector.connect({
        settings: settings({ groups: { mode: "selected", ids: [tenant.groups.sample] } }),
        secret: tenant.secret,
        log,
      }),
    );
    expect(groups).toMatchObject({
      ok: false,
      code: "missing_permission",
      details: { permission: "Group.Read.All" },
    });
  });

  test("lists every group that does not exist", async () => {
    const missing = [
      "33333333-3333-4333-8333-333333333333",
      "44444444-4444-4444-8444-444444444444",
    ];
    const result = await connector.connect({
      settings: settings({ groups: { mode: "selected", ids: [tenant.groups.sample, ...missing] } }),
      secret: tenant.secret,
      log,
    });
    expect(result).toMatchObject({ ok: false, code: "group_not_found", details: { ids: missing } });
  });

  test("an unreachable sign-in host is directory_unreachable", async () => {
    const offline = entraId({
      authorityHost: "https://localhost:1",
      graphBaseUrl: "https://localhost:1",
    });
    const result = await offline.connect({ settings: settings(), secret: tenant.secret, log });
    expect(result).toMatchObject({ ok: false, code: "directory_unreachable" });
  }, 20_000); // the SDK retries a refused connection for a few seconds first
});

describe("readUsers", () => {
  test("reads every user in pages of at most 999, normalized", async () => {
    const pages = await readAll({ settings: settings() });
    const users = pages.flat();
    expect(pages.length).toBe(2);
    expect(pages.every((page) => page.length <= 999)).toBe(true);
    expect(users).toHaveLength(USERS + 10);
    const byId = new Map(users.map((user) => [user.externalId, user]));
    const edge = tenant.edgeCases;
    expect(byId.get(edge.guestWithMail)?.email).toBe("alice@fabrikam.example");
    expect(byId.get(edge.guestWithoutMail)?.email).toBeNull();
    expect(byId.get(edge.noMailUsesUpn)).toMatchObject({
      email: `no.mailbox@${tenant.domain}`,
      attributes: { onPremisesSamAccountName: "nmailbox" },
    });
    expect(byId.get(edge.disabled)?.enabled).toBe(false);
    expect(byId.get(edge.displayNameComma)).toMatchObject({
      givenName: null,
      surname: null,
      displayName: "Doe, Jane",
    });
  });

  test("selected groups: nested members, through a cycle, each once", async () => {
    const pages = await readAll({
      settings: settings({
        groups: { mode: "selected", ids: [tenant.groups.nestedGrandchild, tenant.groups.sample] },
        users: "selectedGroups",
      }),
    });
    const ids = pages.flat().map((user) => user.externalId);
    expect(new Set(ids).size).toBe(ids.length);
    // grandchild ⊃ root ⊃ child ⊃ grandchild: the cycle reaches everyone.
    expect(ids).toHaveLength(USERS + 10);
  });

  test("selected groups: a flat group returns only its members", async () => {
    const pages = await readAll({
      settings: settings({
        groups: { mode: "selected", ids: [tenant.groups.sample] },
        users: "selectedGroups",
      }),
    });
    expect(pages.flat()).toHaveLength(Math.ceil((USERS + 10) / 10));
  });

  test("rides out brief throttling by honouring Retry-After", async () => {
    sim.setFaults({ throttle: { count: 2, retryAfterSeconds: 0 } });
    const pages = await readAll({ settings: settings() });
    expect(pages.flat()).toHaveLength(USERS + 10);
    sim.setFaults({});
  });

  test("persistent throttling ends the read as incomplete (throttled)", async () => {
    sim.setFaults({ throttle: { count: 100, retryAfterSeconds: 0 } });
    const error = await readAll({ settings: settings() }).catch((e) => e);
    sim.setFaults({});
    expect(error).toBeInstanceOf(ConnectorError);
    expect((error as ConnectorError).code).toBe("throttled");
  });

  test("a page that keeps failing ends the read as incomplete, after the earlier pages", async () => {
    sim.setFaults({ failFromPage: 2 });
    const seen: number[] = [];
    const error = await (async () => {
      for await (const page of connector.readUsers({
        settings: settings(),
        secret: tenant.secret,
        log,
        fields: [],
      })) {
        seen.push(page.length);
      }
    })().catch((e) => e);
    sim.setFaults({});
    expect(seen).toEqual([999]);
    expect(error).toMatchObject({ name: "ConnectorError", code: "read_failed" });
  });

  test("a server error that clears is retried", async () => {
    sim.setFaults({ fail: { count: 1, status: 500 } });
    const pages = await readAll({ settings: settings() });
    expect(pages.flat()).toHaveLength(USERS + 10);
  });

  test("a stopped read says so", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await (async () => {
      for await (const _ of connector.readUsers({
        settings: settings(),
        secret: tenant.secret,
        log,
        fields: [],
        signal: controller.signal,
      })) {
      }
    })().catch((e) => e);
    expect(error).toMatchObject({ code: "aborted" });
  });
});

describe("readGroups", () => {
  test("returns names and transitive members", async () => {
    const [group] = await connector.readGroups(
      { settings: settings(), secret: tenant.secret, log },
      [tenant.groups.nestedChild],
    );
    expect(group?.name).toBe("Engineering");
    expect(new Set(group?.memberIds).size).toBe(USERS + 10);
  });

  test("a group deleted since connect is group_not_found", async () => {
    const error = await connector
      .readGroups({ settings: settings(), secret: tenant.secret, log }, [
        "55555555-5555-4555-8555-555555555555",
      ])
      .catch((e) => e);
    expect(error).toMatchObject({
      code: "group_not_found",
      details: { ids: ["55555555-5555-4555-8555-555555555555"] },
    });
  });
});
