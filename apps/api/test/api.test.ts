import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { testDbKind } from "@roster/db/testing";
import { OPERATOR_TOKEN, testApi } from "./support.ts";

let api: Awaited<ReturnType<typeof testApi>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let other: typeof acme;

beforeAll(async () => {
  api = await testApi();
  acme = await api.createTenant("acme");
  other = await api.createTenant("other");
});
afterAll(async () => {
  // The application secret and the admin passwords never appear in any response or log line.
  const everything = [...api.bodies, ...api.log.lines].join("\n");
  expect(everything).not.toContain(api.entra.secret);
  expect(everything).not.toContain(acme.password);
  await api.stop();
});

const entraSettings = (overrides: Record<string, unknown> = {}) => ({
  applicationId: api.entra.clientId,
  directoryId: api.entra.tenantId,
  ...overrides,
});

describe("operator and session", () => {
  test("health answers ok", async () => {
    expect((await api.call("GET", "/health")).json).toEqual({ status: "ok" });
  });

  test("creating a tenant needs the operator token; a taken slug is a 409", async () => {
    const body = {
      slug: "acme",
      name: "x",
      admin: { email: "a@b.cd", password: "long-enough-pw", firstName: "A", lastName: "B" },
    };
    expect((await api.call("POST", "/api/tenants", { body })).status).toBe(401);
    expect(
      (await api.call("POST", "/api/tenants", { body, token: "wrong-token-wrong-token" })).status,
    ).toBe(401);
    const taken = await api.call("POST", "/api/tenants", { body, token: OPERATOR_TOKEN });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe("slug_taken");
  });

  test("invalid input is a 400 with the field issues", async () => {
    const result = await api.call("POST", "/api/tenants", {
      token: OPERATOR_TOKEN,
      body: { slug: "Bad Slug", name: "", admin: { email: "nope" } },
    });
    expect(result.status).toBe(400);
    expect(result.json.error.code).toBe("validation_failed");
    const paths = result.json.error.details.map((issue: { path: string[] }) =>
      issue.path.join("."),
    );
    expect(paths).toEqual(
      expect.arrayContaining(["slug", "name", "admin.email", "admin.password"]),
    );
  });

  test("login sets an HttpOnly cookie; a wrong password is 401 invalid_credentials", async () => {
    const ok = await api.call("POST", "/api/auth/login", {
      body: { tenant: "acme", email: "ADMIN@acme.test", password: acme.password },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("set-cookie")).toMatch(/roster_session=.*HttpOnly.*SameSite=Lax/i);
    expect(ok.json.user).not.toHaveProperty("passwordHash");
    const bad = await api.call("POST", "/api/auth/login", {
      body: { tenant: "acme", email: "admin@acme.test", password: "wrong-password" },
    });
    expect([bad.status, bad.json.error.code]).toEqual([401, "invalid_credentials"]);
  });

  test("repeated failed sign-ins are rate limited", async () => {
    const attempt = () =>
      api.call("POST", "/api/auth/login", {
        body: { tenant: "other", email: "x@other.test", password: "guess-guess" },
      });
    const statuses = [];
    for (let i = 0; i < 7; i += 1) statuses.push((await attempt()).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
  });

  test("me returns the user, tenant and permissions; no token is 401", async () => {
    const me = await api.call("GET", "/api/me", { token: acme.token });
    expect(me.json.tenant.slug).toBe("acme");
    expect(me.json.permissions).toEqual([
      "Pages.Administration.UserSync",
      "Pages.Administration.Users",
    ]);
    const anonymous = await api.call("GET", "/api/me");
    expect([anonymous.status, anonymous.json.error.code]).toEqual([401, "unauthenticated"]);
  });

  test("cookie-authenticated writes need a same-origin Origin header (CSRF)", async () => {
    const cookie = `roster_session=${acme.token}`;
    const body = {
      email: "csrf@acme.test",
      firstName: "C",
      lastName: "S",
      password: "long-enough-pw",
    };
    const foreign = await api.call("POST", "/api/users", {
      body,
      headers: { cookie, origin: "https://evil.test" },
    });
    expect([foreign.status, foreign.json.error.code]).toEqual([403, "forbidden"]);
    const same = await api.call("POST", "/api/users", {
      body,
      headers: { cookie, origin: "http://roster.test" },
    });
    expect(same.status).toBe(201);
  });

  test("a body over 1 MiB is refused with 413", async () => {
    const result = await api.call("POST", "/api/users", {
      token: acme.token,
      body: {
        email: "big@acme.test",
        firstName: "x".repeat(1_100_000),
        lastName: "y",
        password: "long-enough-pw",
      },
    });
    expect([result.status, result.json.error.code]).toEqual([413, "payload_too_large"]);
  });

  test("the OpenAPI document describes every route", async () => {
    const doc = (await api.call("GET", "/api/openapi.json")).json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/health",
        "/api/tenants",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/me",
        "/api/users",
        "/api/users/{id}",
        "/api/groups",
        "/api/groups/{id}/members",
        "/api/notifications",
        "/api/notifications/{id}/read",
        "/api/notifications/read-all",
        "/api/outbox",
        "/api/user-sync/connectors",
        "/api/user-sync/connections",
        "/api/user-sync/connections/{id}",
        "/api/user-sync/connections/{id}/connect",
        "/api/user-sync/connections/{id}/sync",
        "/api/user-sync/connections/{id}/auto-sync",
        "/api/user-sync/connections/{id}/runs",
        "/api/user-sync/connections/{id}/preview",
        "/api/user-sync/runs/{runId}",
        "/api/user-sync/runs/{runId}/confirm-deletions",
        "/api/user-sync/runs/{runId}/cancel",
        "/api/user-sync/runs/{runId}/issues",
        "/api/user-sync/runs/{runId}/issues.csv",
        "/api/user-sync/previews/{previewId}",
        "/api/user-sync/previews/{previewId}/cancel",
        "/api/users/{id}/restore",
      ]),
    );
    expect((await api.app.request("/api/docs")).status).toBe(200);
  });
});

describe("bootstrap", () => {
  test("an empty database gets tenant `default` with the configured administrator, once", async () => {
    const { bootstrapAdmin } = await import("@roster/core");
    const fresh = await testApi({ users: 1 });
    try {
      expect(
        await bootstrapAdmin(fresh.deps, {
          email: "root@example.test",
          password: "bootstrap-pw-1",
        }),
      ).toBe(true);
      expect(
        await bootstrapAdmin(fresh.deps, {
          email: "other@example.test",
          password: "bootstrap-pw-2",
        }),
      ).toBe(false);
      const login = await fresh.call("POST", "/api/auth/login", {
        body: { tenant: "default", email: "root@example.test", password: "bootstrap-pw-1" },
      });
      expect(login.status).toBe(200);
      expect(login.json.user.roles).toEqual(["Administrator"]);
    } finally {
      await fresh.stop();
    }
  });
});

describe("users", () => {
  test("create, read, update, soft delete; email taken is a 409", async () => {
    const created = await api.call("POST", "/api/users", {
      token: acme.token,
      body: {
        email: "grace@acme.test",
        firstName: "Grace",
        lastName: "Hopper",
        password: "long-enough-pw",
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ roles: ["User"], signIn: "password", deletedAt: null });
    const id = created.json.id;
    const dup = await api.call("POST", "/api/users", {
      token: acme.token,
      body: { email: "GRACE@acme.test", firstName: "G", lastName: "H", password: "long-enough-pw" },
    });
    expect([dup.status, dup.json.error.code]).toEqual([409, "email_taken"]);
    const patched = await api.call("PATCH", `/api/users/${id}`, {
      token: acme.token,
      body: { lastName: "Murray Hopper", aliases: ["ghopper"] },
    });
    expect(patched.json).toMatchObject({ lastName: "Murray Hopper", aliases: ["ghopper"] });
    expect((await api.call("DELETE", `/api/users/${id}`, { token: acme.token })).status).toBe(204);
    const list = await api.call("GET", "/api/users?query=grace&includeDeleted=true", {
      token: acme.token,
    });
    expect(
      list.json.items.map((user: { deletedAt: string | null }) => user.deletedAt !== null),
    ).toEqual([true]);
  });

  test("another tenant's user is a 404, and lists never mix tenants", async () => {
    const mine = (await api.call("GET", "/api/users", { token: acme.token })).json.items[0];
    for (const [method, body] of [
      ["GET", undefined],
      ["PATCH", { firstName: "X" }],
      ["DELETE", undefined],
    ] as const) {
      const result = await api.call(method, `/api/users/${mine.id}`, { token: other.token, body });
      expect([result.status, result.json.error.code]).toEqual([404, "not_found"]);
    }
    const groups = (await api.call("GET", "/api/groups", { token: other.token })).json.items;
    expect(groups).toEqual([]);
    const theirs = await api.call("GET", "/api/users", { token: other.token });
    expect(
      theirs.json.items.every((user: { email: string }) => user.email.endsWith("other.test")),
    ).toBe(true);
  });

  test("lists page with a cursor", async () => {
    for (let i = 0; i < 3; i += 1) {
      await api.call("POST", "/api/users", {
        token: other.token,
        body: {
          email: `p${i}@other.test`,
          firstName: "P",
          lastName: `${i}`,
          password: "long-enough-pw",
        },
      });
    }
    const everyone = await api.call("GET", "/api/users?limit=500", { token: other.token });
    expect(everyone.json.items).toHaveLength(4); // the administrator and the three above
    // Pages of 2 follow each other: they never overlap, and together they are the whole list,
    // in order (a cursor that is ignored gives the first page again and fails here).
    const paged: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 5; page += 1) {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const response = await api.call("GET", `/api/users?limit=2${query}`, { token: other.token });
      expect(response.json.items.length).toBeLessThanOrEqual(2);
      paged.push(...response.json.items.map((user: { id: string }) => user.id));
      cursor = response.json.nextCursor;
      if (!cursor) break;
    }
    expect(paged).toEqual(everyone.json.items.map((user: { id: string }) => user.id));
    expect((await api.call("GET", "/api/users?limit=501", { token: other.token })).status).toBe(
      400,
    );
  });
});

describe("user synchronization", () => {
  let connectionId: string;

  test("a user without the permission gets 403 on every user-sync route", async () => {
    await api.call("POST", "/api/users", {
      token: acme.token,
      body: {
        email: "plain@acme.test",
        firstName: "Plain",
        lastName: "User",
        password: "long-enough-pw",
      },
    });
    const plain = await api.call("POST", "/api/auth/login", {
      body: { tenant: "acme", email: "plain@acme.test", password: "long-enough-pw" },
    });
    for (const path of ["/api/user-sync/connectors", "/api/user-sync/connections"]) {
      const result = await api.call("GET", path, { token: plain.json.token });
      expect([result.status, result.json.error.code]).toEqual([403, "forbidden"]);
    }
  });

  test("the catalog lists Entra ID and Google Workspace with JSON Schemas", async () => {
    const catalog = await api.call("GET", "/api/user-sync/connectors", { token: acme.token });
    expect(
      catalog.json.items.map((item: { type: string; status: string }) => [item.type, item.status]),
    ).toEqual([
      ["entra-id", "available"],
      ["google", "available"],
    ]);
    expect(catalog.json.items[0].settingsSchema.properties.applicationId).toBeDefined();
    expect(catalog.json.items[1].settingsSchema.properties.adminEmail.title).toBe(
      "Administrator to impersonate",
    );
  });

  test("a connection is created as draft, its secret write-only; bad settings are a 400", async () => {
    const bad = await api.call("POST", "/api/user-sync/connections", {
      token: acme.token,
      body: {
        type: "entra-id",
        settings: {
          applicationId: "nope",
          directoryId: api.entra.tenantId,
          aliasTemplate: "%shoe%",
        },
        secret: "x",
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details.map((issue: { path: string[] }) => issue.path.join("."))).toEqual(
      ["settings.applicationId", "settings.aliasTemplate"],
    );

    // An unmatched % would save, then give one user a literal alias and strip everyone else's.
    const unmatched = await api.call("POST", "/api/user-sync/connections", {
      token: acme.token,
      body: {
        type: "entra-id",
        settings: entraSettings({ aliasTemplate: "%givenName%.%surname%;%givenName" }),
        secret: api.entra.secret,
      },
    });
    expect(unmatched.status).toBe(400);
    expect(unmatched.json.error).toMatchObject({ code: "validation_failed" });
    expect(unmatched.json.error.details).toEqual([
      {
        path: ["settings", "aliasTemplate"],
        message: 'The alias pattern "%givenName" has a % without its closing %.',
      },
    ]);

    const created = await api.call("POST", "/api/user-sync/connections", {
      token: acme.token,
      body: {
        type: "entra-id",
        name: "Contoso",
        settings: entraSettings({ manageUserDeletion: true }),
        secret: api.entra.secret,
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      status: "draft",
      secretSet: true,
      lastRun: null,
      autoSync: { enabled: false },
    });
    expect(created.text).not.toContain(api.entra.secret);
    connectionId = created.json.id;
  });

  test("sync and preview refuse a connection that is not connected", async () => {
    const sync = await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: acme.token,
    });
    expect([sync.status, sync.json.error.code]).toEqual([409, "not_connected"]);
  });

  test("connect reports a wrong secret as 422 invalid_secret, then connects with the right one", async () => {
    await api.call("PATCH", `/api/user-sync/connections/${connectionId}`, {
      token: acme.token,
      body: { secret: "wrong-secret" },
    });
    const failed = await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
      token: acme.token,
    });
    expect([failed.status, failed.json.error.code]).toEqual([422, "invalid_secret"]);
    const shown = await api.call("GET", `/api/user-sync/connections/${connectionId}`, {
      token: acme.token,
    });
    expect(shown.json).toMatchObject({ status: "error", lastError: { code: "invalid_secret" } });

    await api.call("PATCH", `/api/user-sync/connections/${connectionId}`, {
      token: acme.token,
      body: { secret: api.entra.secret },
    });
    const ok = await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
      token: acme.token,
    });
    expect([ok.status, ok.json.status]).toEqual([200, "connected"]);
  });

  test("preview counts without writing", async () => {
    const started = await api.call("POST", `/api/user-sync/connections/${connectionId}/preview`, {
      token: acme.token,
    });
    expect(started.status).toBe(202);
    const preview = await api.waitForPreview(acme.token, started.json.preview.id);
    expect(preview.status).toBe("succeeded");
    expect(preview.result.counts.created).toBe(123);
    const users = await api.call("GET", "/api/users?tag=AD%20synced", { token: acme.token });
    expect(users.json.items).toHaveLength(0);
  });

  test("sync now runs in the background; a second trigger meanwhile is 409", async () => {
    api.sim.setFaults({ latencyMs: 150 });
    const started = await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: acme.token,
    });
    expect(started.status).toBe(202);
    expect(started.json.run.outcome).toBe("running");
    const again = await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: acme.token,
    });
    expect([again.status, again.json.error.code]).toEqual([409, "sync_in_progress"]);
    await api.deps.tracker.idle();
    api.sim.setFaults({});

    const run = await api.call("GET", `/api/user-sync/runs/${started.json.run.id}`, {
      token: acme.token,
    });
    expect(run.json).toMatchObject({
      outcome: "completed_with_errors",
      counts: { created: 123, failed: 6 },
      // PIN emails are off by default: the run queued none.
      emails: { pending: 0, sent: 0, failed: 0 },
    });
    expect(run.json.failures.map((failure: { code: string }) => failure.code)).toContain(
      "no_email",
    );
    const connection = await api.call("GET", `/api/user-sync/connections/${connectionId}`, {
      token: acme.token,
    });
    expect(connection.json.lastRun).toMatchObject({
      id: started.json.run.id,
      outcome: "completed_with_errors",
    });
    const synced = await api.call("GET", "/api/users?tag=AD%20synced&limit=500", {
      token: acme.token,
    });
    expect(synced.json.items).toHaveLength(123);
  });

  test("synced users cannot sign in with a password", async () => {
    const email = `no.mailbox@${api.entra.domain}`;
    const result = await api.call("POST", "/api/auth/login", {
      body: { tenant: "acme", email, password: "whatever-pw" },
    });
    expect([result.status, result.json.error.code]).toEqual([403, "sso_required"]);
    expect(result.json.error.details).toMatchObject({ provider: "microsoft", connectionId });
    expect(result.json.error.details.startUrl).toStartWith(
      "http://roster.test/api/auth/sso/microsoft/start?tenant=acme&connection=",
    );
  });

  test("runs are listed newest first; the triggering admin is notified once", async () => {
    const second = await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: acme.token,
    });
    await api.deps.tracker.idle();
    const runs = await api.call("GET", `/api/user-sync/connections/${connectionId}/runs`, {
      token: acme.token,
    });
    expect(runs.json.items[0].id).toBe(second.json.run.id);
    expect(runs.json.items).toHaveLength(2);
    const notes = await api.call("GET", "/api/notifications?unread=true", { token: acme.token });
    const forRuns = notes.json.items.map((note: { data: { runId: string } }) => note.data.runId);
    expect(new Set(forRuns).size).toBe(forRuns.length);
    expect(forRuns).toContain(second.json.run.id);
    expect(
      (
        await api.call("POST", `/api/notifications/${notes.json.items[0].id}/read`, {
          token: other.token,
        })
      ).status,
    ).toBe(404);
    expect(
      (await api.call("POST", "/api/notifications/read-all", { token: acme.token })).status,
    ).toBe(204);
    expect(
      (await api.call("GET", "/api/notifications?unread=true", { token: acme.token })).json.items,
    ).toHaveLength(0);
  });

  test("auto-sync switches on 24 hours from now, and off", async () => {
    const on = await api.call("PUT", `/api/user-sync/connections/${connectionId}/auto-sync`, {
      token: acme.token,
      body: { enabled: true },
    });
    const { activatedAt, nextRunAt } = on.json.autoSync;
    expect(new Date(nextRunAt).getTime() - new Date(activatedAt).getTime()).toBe(24 * 3600 * 1000);
    const off = await api.call("PUT", `/api/user-sync/connections/${connectionId}/auto-sync`, {
      token: acme.token,
      body: { enabled: false },
    });
    expect(off.json.autoSync).toEqual({ enabled: false, activatedAt: null, nextRunAt: null });
  });

  test("a change of scope returns the connection to draft", async () => {
    const patched = await api.call("PATCH", `/api/user-sync/connections/${connectionId}`, {
      token: acme.token,
      body: {
        settings: entraSettings({
          groups: { mode: "selected", ids: [api.entra.groups.sample] },
          users: "selectedGroups",
        }),
      },
    });
    expect(patched.json.status).toBe("draft");
    const optionOnly = await api.call(
      "POST",
      `/api/user-sync/connections/${connectionId}/connect`,
      { token: acme.token },
    );
    expect(optionOnly.json.status).toBe("connected");
  });

  test("selected groups are synchronized as groups; another tenant cannot see them", async () => {
    await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
      token: acme.token,
    });
    await api.deps.tracker.idle();
    const groups = await api.call("GET", "/api/groups", { token: acme.token });
    expect(groups.json.items).toEqual([
      expect.objectContaining({ name: "Pilot users", memberCount: 13 }),
    ]);
    const id = groups.json.items[0].id;
    expect(
      (await api.call("GET", `/api/groups/${id}/members`, { token: acme.token })).json.items,
    ).toHaveLength(13);
    const foreign = await api.call("GET", `/api/groups/${id}/members`, { token: other.token });
    expect([foreign.status, foreign.json.error.code]).toEqual([404, "not_found"]);
  });

  test("another tenant's connection and runs are 404 on every route", async () => {
    const runs = (
      await api.call("GET", `/api/user-sync/connections/${connectionId}/runs`, {
        token: acme.token,
      })
    ).json.items;
    const attempts: Array<[string, string, unknown?]> = [
      ["GET", `/api/user-sync/connections/${connectionId}`],
      ["PATCH", `/api/user-sync/connections/${connectionId}`, { name: "mine now" }],
      ["POST", `/api/user-sync/connections/${connectionId}/connect`],
      ["POST", `/api/user-sync/connections/${connectionId}/sync`],
      ["PUT", `/api/user-sync/connections/${connectionId}/auto-sync`, { enabled: true }],
      ["GET", `/api/user-sync/connections/${connectionId}/runs`],
      ["POST", `/api/user-sync/connections/${connectionId}/preview`],
      ["GET", `/api/user-sync/runs/${runs[0].id}`],
      ["POST", `/api/user-sync/runs/${runs[0].id}/confirm-deletions`],
      ["DELETE", `/api/user-sync/connections/${connectionId}`],
    ];
    for (const [method, path, body] of attempts) {
      const result = await api.call(method, path, { token: other.token, body });
      expect([method, path, result.status]).toEqual([method, path, 404]);
    }
  });

  test("confirm-deletions refuses a run that does not need review", async () => {
    const runs = (
      await api.call("GET", `/api/user-sync/connections/${connectionId}/runs`, {
        token: acme.token,
      })
    ).json.items;
    const result = await api.call("POST", `/api/user-sync/runs/${runs[0].id}/confirm-deletions`, {
      token: acme.token,
    });
    expect([result.status, result.json.error.code]).toEqual([409, "not_needs_review"]);
  });

  test("deleting a connection keeps its users", async () => {
    expect(
      (
        await api.call("DELETE", `/api/user-sync/connections/${connectionId}`, {
          token: acme.token,
        })
      ).status,
    ).toBe(204);
    expect(
      (await api.call("GET", `/api/user-sync/connections/${connectionId}`, { token: acme.token }))
        .status,
    ).toBe(404);
    const synced = await api.call("GET", "/api/users?tag=AD%20synced&limit=500", {
      token: acme.token,
    });
    expect(synced.json.items).toHaveLength(123);
  });

  test("a Google connection with a malformed service account key is a 400 at save", async () => {
    const result = await api.call("POST", "/api/user-sync/connections", {
      token: acme.token,
      body: { type: "google", settings: { adminEmail: "admin@acme.test" }, secret: "{not json" },
    });
    expect([result.status, result.json.error.code]).toEqual([400, "validation_failed"]);
    expect(result.json.error.message).toContain("not valid JSON");
    expect(result.json.error.details[0].path).toEqual(["secret"]);
  });

  test("the connection secret is stored encrypted: its plaintext is in no column of any table", async () => {
    // Through SQL, so the same check holds on sqld, where there is no file to read.
    const kept = await api.call("POST", "/api/user-sync/connections", {
      token: acme.token,
      body: { type: "entra-id", name: "Kept", settings: entraSettings(), secret: api.entra.secret },
    });
    expect(kept.status).toBe(201);
    const client = api.deps.db.client;
    const tables = await client.execute(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    );
    let ciphertexts = 0;
    for (const { name } of tables.rows) {
      const rows = await client.execute(`SELECT * FROM "${String(name)}"`);
      for (const row of rows.rows) {
        for (const value of Object.values(row)) {
          const text = value instanceof ArrayBuffer ? Buffer.from(value).toString() : String(value);
          expect(text.includes(api.entra.secret)).toBe(false);
          if (text.startsWith("v1:")) ciphertexts++;
        }
      }
    }
    expect(ciphertexts).toBeGreaterThan(0);
  });

  test.skipIf(testDbKind() === "sqld")(
    "the database file holds no plaintext secret (file only: sqld keeps its own files)",
    async () => {
      await api.deps.db.client.execute("pragma wal_checkpoint(FULL)");
      const list = await api.deps.db.client.execute("pragma database_list");
      const bytes = Buffer.from(await Bun.file(list.rows[0]?.file as string).arrayBuffer());
      expect(bytes.includes(Buffer.from(api.entra.secret))).toBe(false);
      expect(bytes.includes(Buffer.from("v1:"))).toBe(true);
    },
  );

  test("no response carries a password hash, PIN hash, token hash or secret field", () => {
    const all = api.bodies.join("\n");
    for (const field of [
      "passwordHash",
      "pinHash",
      "tokenHash",
      "secretCiphertext",
      "bodyCiphertext",
      "ciphertext",
      "$argon2id",
    ]) {
      expect(all).not.toContain(field);
    }
  });

  test("the operator reads the local outbox", async () => {
    const outbox = await api.call("GET", "/api/outbox", { token: OPERATOR_TOKEN });
    expect(outbox.status).toBe(200);
    expect((await api.call("GET", "/api/outbox", { token: acme.token })).status).toBe(401);
  });
});
