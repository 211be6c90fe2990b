/**
 * Regression tests for the findings of issue 12 (security review before a release):
 * each `describe` is one finding, each test an attack that worked before the fix.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { PERMISSIONS } from "@roster/core";
import { newId, roles, users } from "@roster/db";
import { readConfig } from "../src/config.ts";
import { OPERATOR_TOKEN, testApi } from "./support.ts";

type Api = Awaited<ReturnType<typeof testApi>>;

// Sign-ins cost an argon2 verification each; a busy machine makes that several times slower.
setDefaultTimeout(30_000);
type Tenant = Awaited<ReturnType<Api["createTenant"]>>;

let api: Api;
let acme: Tenant;

beforeAll(async () => {
  api = await testApi({
    app: { loginThrottle: { perAddress: 1000, freeFailures: 1000, accountFreeFailures: 1000 } },
    deps: { maxConnectionsPerTenant: 3 },
  });
  acme = await api.createTenant("acme");
});
afterAll(() => api.stop());

const signIn = async (tenant: string, email: string, password: string) => {
  const result = await api.call("POST", "/api/auth/login", { body: { tenant, email, password } });
  if (result.status !== 200) throw new Error(`sign-in: ${result.text}`);
  return result.json.token as string;
};

/** A role of the tenant that holds only the Users permission. */
const addUsersAdminRole = async (tenantId: string) => {
  const now = new Date();
  await api.deps.db.db.insert(roles).values({
    id: newId("rol"),
    tenantId,
    name: "Users administrator",
    permissions: [PERMISSIONS.users],
    createdAt: now,
    updatedAt: now,
  });
};

const createUser = async (email: string, roleNames: string[], token = acme.token) => {
  const password = `pw-${email}-long-enough`;
  const created = await api.call("POST", "/api/users", {
    token,
    body: { email, firstName: "Una", lastName: "User", password, roles: roleNames },
  });
  if (created.status !== 201) throw new Error(`user: ${created.text}`);
  return { id: created.json.id as string, password };
};

describe("finding 4: a caller assigns only roles within its own permissions", () => {
  let usersAdmin: { id: string; token: string };
  let plain: { id: string };

  beforeAll(async () => {
    await addUsersAdminRole(acme.tenant.id);
    const created = await createUser("ursula@acme.test", ["Users administrator"]);
    usersAdmin = {
      id: created.id,
      token: await signIn("acme", "ursula@acme.test", created.password),
    };
    plain = await createUser("paul@acme.test", ["User"]);
  });

  const rolesOf = async (id: string) =>
    (await api.call("GET", `/api/users/${id}`, { token: acme.token })).json.roles;

  test("a Users administrator cannot make itself an Administrator", async () => {
    const attempt = await api.call("PATCH", `/api/users/${usersAdmin.id}`, {
      token: usersAdmin.token,
      body: { roles: ["Administrator"] },
    });
    expect([attempt.status, attempt.json.error.code]).toEqual([403, "forbidden"]);
    expect(await rolesOf(usersAdmin.id)).toEqual(["Users administrator"]);
    const me = await api.call("GET", "/api/me", { token: usersAdmin.token });
    expect(me.json.permissions).toEqual([PERMISSIONS.users]);
  });

  test("a Users administrator cannot give anyone a role with permissions it lacks", async () => {
    const promote = await api.call("PATCH", `/api/users/${plain.id}`, {
      token: usersAdmin.token,
      body: { roles: ["Administrator"] },
    });
    expect([promote.status, promote.json.error.details]).toEqual([
      403,
      { roles: ["Administrator"] },
    ]);
    const create = await api.call("POST", "/api/users", {
      token: usersAdmin.token,
      body: {
        email: "sneaky@acme.test",
        firstName: "S",
        lastName: "N",
        password: "a-long-unusual-password",
        roles: ["Administrator"],
      },
    });
    expect(create.status).toBe(403);
    const listed = await api.call("GET", "/api/users?query=sneaky", { token: acme.token });
    expect(listed.json.items).toEqual([]);
    expect(await rolesOf(plain.id)).toEqual(["User"]);
  });

  test("a Users administrator cannot take the Administrator role away from an administrator", async () => {
    const demote = await api.call("PATCH", `/api/users/${acme.admin.id}`, {
      token: usersAdmin.token,
      body: { roles: ["User"] },
    });
    expect(demote.status).toBe(403);
    expect(await rolesOf(acme.admin.id)).toEqual(["Administrator"]);
  });

  test("a Users administrator may assign roles whose permissions it holds", async () => {
    const ok = await api.call("PATCH", `/api/users/${plain.id}`, {
      token: usersAdmin.token,
      body: { roles: ["Users administrator"] },
    });
    expect([ok.status, ok.json.roles]).toEqual([200, ["Users administrator"]]);
    const back = await api.call("PATCH", `/api/users/${plain.id}`, {
      token: usersAdmin.token,
      body: { roles: ["User"] },
    });
    expect([back.status, back.json.roles]).toEqual([200, ["User"]]);
  });

  test("nobody changes their own roles, not even an Administrator; an unchanged list is fine", async () => {
    await createUser("second-admin@acme.test", ["Administrator"]);
    const self = await api.call("PATCH", `/api/users/${acme.admin.id}`, {
      token: acme.token,
      body: { roles: ["Administrator", "User"] },
    });
    expect([self.status, self.json.error.code]).toEqual([403, "forbidden"]);
    const same = await api.call("PATCH", `/api/users/${acme.admin.id}`, {
      token: acme.token,
      body: { roles: ["Administrator"], firstName: "Ada" },
    });
    expect(same.status).toBe(200);
  });
});

describe("finding 6: bounded work per administrator", () => {
  const settings = (ids: string[]) => ({
    applicationId: api.entra.clientId,
    directoryId: api.entra.tenantId,
    groups: { mode: "selected", ids },
    users: "selectedGroups",
  });
  const create = (ids: string[], token = acme.token) =>
    api.call("POST", "/api/user-sync/connections", {
      token,
      body: { type: "entra-id", settings: settings(ids), secret: api.entra.secret },
    });

  test("repeated group ids are kept once; more than 50 are a 400", async () => {
    const id = api.entra.groups.sample;
    const copies = Array.from({ length: 50 }, (_, i) => (i % 2 ? id.toUpperCase() : id));
    const created = await create(copies);
    expect(created.status).toBe(201);
    expect(created.json.settings.groups.ids).toEqual([id.toLowerCase()]);
    api.sim.resetCounts();
    const connected = await api.call(
      "POST",
      `/api/user-sync/connections/${created.json.id}/connect`,
      { token: acme.token },
    );
    expect(connected.status).toBe(200);
    // One token, one organization check, one group: not fifty.
    expect(api.sim.counts.graph).toBeLessThan(6);
    const tooMany = await create(Array.from({ length: 51 }, () => crypto.randomUUID()));
    expect([tooMany.status, tooMany.json.error.code]).toEqual([400, "validation_failed"]);
    expect(tooMany.json.error.details[0].path).toEqual(["settings", "groups", "ids"]);
    await api.call("DELETE", `/api/user-sync/connections/${created.json.id}`, {
      token: acme.token,
    });
  });

  test("a tenant has at most the configured number of connections", async () => {
    const other = await api.createTenant("capped");
    const made = [];
    for (let i = 0; i < 3; i += 1) made.push((await create([], other.token)).status);
    expect(made).toEqual([400, 400, 400]);
    const valid = () =>
      api.call("POST", "/api/user-sync/connections", {
        token: other.token,
        body: {
          type: "entra-id",
          settings: { applicationId: api.entra.clientId, directoryId: api.entra.tenantId },
          secret: api.entra.secret,
        },
      });
    for (let i = 0; i < 3; i += 1) expect((await valid()).status).toBe(201);
    const fourth = await valid();
    expect([fourth.status, fourth.json.error.code, fourth.json.error.details]).toEqual([
      409,
      "too_many_connections",
      { limit: 3 },
    ]);
  });

  test("one preview and one connect per connection at a time: 409 with the running one's id", async () => {
    const created = await create([api.entra.groups.sample]);
    const path = `/api/user-sync/connections/${created.json.id}`;
    api.sim.setFaults({ latencyMs: 150 });
    try {
      const [first, second] = await Promise.all([
        api.call("POST", `${path}/connect`, { token: acme.token }),
        Bun.sleep(50).then(() => api.call("POST", `${path}/connect`, { token: acme.token })),
      ]);
      expect(first.status).toBe(200);
      expect([second.status, second.json.error.code]).toEqual([409, "connect_in_progress"]);
      expect(second.json.error.details.id).toMatch(/^cnt_/);
      const [preview, again] = await Promise.all([
        api.call("POST", `${path}/preview`, { token: acme.token }),
        Bun.sleep(50).then(() => api.call("POST", `${path}/preview`, { token: acme.token })),
      ]);
      expect(preview.status).toBe(202);
      expect([again.status, again.json.error.code]).toEqual([409, "preview_in_progress"]);
      // The running one's id: the caller follows it instead of starting another.
      expect(again.json.error.details.id).toBe(preview.json.preview.id);
      await api.waitForPreview(acme.token, preview.json.preview.id);
    } finally {
      api.sim.setFaults({});
    }
    // Once finished, the next one runs.
    const next = await api.call("POST", `${path}/preview`, { token: acme.token });
    expect(next.status).toBe(202);
    await api.waitForPreview(acme.token, next.json.preview.id);
    await api.call("DELETE", path, { token: acme.token });
  });
});

describe("finding 7: small holes", () => {
  /** A user synced from a directory, who has no password. */
  const addDirectoryUser = async (tenantId: string, email: string) => {
    const now = new Date();
    await api.deps.db.db.insert(users).values({
      id: newId("usr"),
      tenantId,
      email,
      firstName: "Dora",
      lastName: "Directory",
      signIn: "microsoft",
      createdAt: now,
      updatedAt: now,
    });
  };

  test("sso_required is answered only where the tenant offers directory sign-in", async () => {
    const plain = await api.createTenant("nosso");
    await addDirectoryUser(plain.tenant.id, "dora@nosso.test");
    const login = (email: string) =>
      api.call("POST", "/api/auth/login", {
        body: { tenant: "nosso", email, password: "whatever-it-is" },
      });
    const directoryUser = await login("dora@nosso.test");
    const nobody = await login("nobody@nosso.test");
    expect([directoryUser.status, directoryUser.json]).toEqual([nobody.status, nobody.json]);
    expect(directoryUser.json.error.code).toBe("invalid_credentials");
    await api.call("POST", "/api/user-sync/connections", {
      token: plain.token,
      body: {
        type: "entra-id",
        settings: { applicationId: api.entra.clientId, directoryId: api.entra.tenantId },
        secret: api.entra.secret,
      },
    });
    const withProvider = await login("dora@nosso.test");
    expect([withProvider.status, withProvider.json.error.code]).toEqual([403, "sso_required"]);
  });

  test("a directory user's answer takes as long as a wrong password (the hash is always checked)", async () => {
    const timed = async (email: string) => {
      const times = [];
      for (let i = 0; i < 5; i += 1) {
        const started = performance.now();
        await api.call("POST", "/api/auth/login", {
          body: { tenant: "nosso", email, password: "whatever-it-is" },
        });
        times.push(performance.now() - started);
      }
      return times.sort((a, b) => a - b)[2] as number;
    };
    const directoryUser = await timed("dora@nosso.test");
    const wrongPassword = await timed("admin@nosso.test");
    // argon2 dominates a wrong password; answering without it took ~2 ms instead of ~50.
    expect(directoryUser).toBeGreaterThan(wrongPassword * 0.5);
  });

  test("weak passwords are refused: ten spaces, short, common; the start-up password too", async () => {
    for (const password of [" ".repeat(10), " ".repeat(14), "short-pw", "password1234"]) {
      const result = await api.call("POST", "/api/users", {
        token: acme.token,
        body: {
          email: `weak${password.length}@acme.test`,
          firstName: "W",
          lastName: "P",
          password,
        },
      });
      expect([result.status, result.json.error.details[0].path]).toEqual([400, ["password"]]);
    }
    const tenant = await api.call("POST", "/api/tenants", {
      token: OPERATOR_TOKEN,
      body: {
        slug: "weak",
        name: "Weak",
        admin: { email: "a@weak.test", password: "qwertyuiop123", firstName: "A", lastName: "B" },
      },
    });
    expect([tenant.status, tenant.json.error.details[0].path]).toEqual([
      400,
      ["admin", "password"],
    ]);
    expect(() => readConfig({ ROSTER_ADMIN_PASSWORD: "          " })).toThrow(
      /ROSTER_ADMIN_PASSWORD: the first administrator's password is too weak/,
    );
    expect(readConfig({ ROSTER_ADMIN_PASSWORD: "a-long-unusual-password" }).publicUrl).toBe(
      "http://localhost:3000",
    );
  });

  test("a cursor decoding to Infinity and 100,000 roles are 400s, not 500s", async () => {
    const infinite = Buffer.from('[1e999,"usr_x"]').toString("base64url");
    const cursor = await api.call("GET", `/api/users?cursor=${infinite}`, { token: acme.token });
    expect([cursor.status, cursor.json.error.code]).toEqual([400, "validation_failed"]);
    const many = await api.call("PATCH", `/api/users/${acme.admin.id}`, {
      token: acme.token,
      body: { roles: Array.from({ length: 100_000 }, () => "User") },
    });
    expect([many.status, many.json.error.code]).toEqual([400, "validation_failed"]);
  });

  test("a body that is not JSON is 415 unsupported_media_type", async () => {
    const result = await api.call("POST", "/api/users", {
      token: acme.token,
      raw: "email=a@b.c",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect([result.status, result.json.error.code]).toEqual([415, "unsupported_media_type"]);
  });

  test("every response carries a Content-Security-Policy; the API reference loads nothing from a CDN", async () => {
    for (const path of ["/", "/api/me", "/api/docs", "/nowhere", "/assets/app.js"]) {
      const response = await api.call("GET", path);
      const policy = response.headers.get("content-security-policy") ?? "";
      expect(policy).toContain("default-src 'self'");
      expect(policy).toMatch(/script-src 'self' 'nonce-[^']+'(;|$)/);
      expect(policy).toContain("frame-ancestors 'none'");
    }
    const docs = await api.call("GET", "/api/docs");
    expect(docs.text).toContain('<script src="/api/docs/scalar.js"');
    expect(docs.text).not.toMatch(/https?:\/\/(?!localhost)[a-z.]*\/.*\.js/);
    const nonce = /'nonce-([^']+)'/.exec(docs.headers.get("content-security-policy") ?? "")?.[1];
    expect(docs.text).toContain(`nonce="${nonce}"`);
    const bundle = await api.call("GET", "/api/docs/scalar.js");
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get("content-type")).toContain("javascript");
    expect(bundle.text.length).toBeGreaterThan(100_000);
  });
});

describe("finding 7: cookies and CSRF follow ROSTER_PUBLIC_URL", () => {
  let tls: Api;
  let tenant: Tenant;
  beforeAll(async () => {
    tls = await testApi({ app: { publicUrl: "https://roster.example.com" } });
    tenant = await tls.createTenant("tls");
  });
  afterAll(() => tls.stop());

  test("behind a TLS proxy the cookie is Secure and the public origin passes the CSRF check", async () => {
    // The request reaches the service as plain http://roster.test, as it does behind a proxy.
    const login = await tls.call("POST", "/api/auth/login", {
      body: { tenant: "tls", email: "admin@tls.test", password: tenant.password },
    });
    expect(login.headers.get("set-cookie")).toMatch(/;\s*Secure/i);
    const cookie = `roster_session=${tenant.token}`;
    const write = (origin: string) =>
      tls.call("POST", "/api/notifications/read-all", { headers: { cookie, origin } });
    expect((await write("https://roster.example.com")).status).toBe(204);
    expect((await write("http://roster.test")).status).toBe(403);
  });
});
