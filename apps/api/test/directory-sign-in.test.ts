import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessions, users } from "@roster/db";
import { blankUser } from "@roster/entra-sim";
import { eq } from "drizzle-orm";
import { testApi } from "./support.ts";

/**
 * Sign in with Microsoft end to end: the API's routes, core's flow with the real
 * openid-client, and the simulator's authorize and token endpoints. A small "browser"
 * follows the redirects and carries the cookies.
 */
let offsetMs = 0;
let api: Awaited<ReturnType<typeof testApi>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let connectionId: string;

beforeAll(async () => {
  api = await testApi({ users: 40, clock: { now: () => new Date(Date.now() + offsetMs) } });
  acme = await api.createTenant("acme");
  const created = await api.call("POST", "/api/user-sync/connections", {
    token: acme.token,
    body: {
      type: "entra-id",
      settings: { applicationId: api.entra.clientId, directoryId: api.entra.tenantId },
      secret: api.entra.secret,
    },
  });
  connectionId = created.json.id;
  expect((await api.call("GET", "/api/auth/providers?tenant=acme")).json.items).toEqual([]);
  const connected = await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
    token: acme.token,
  });
  expect(connected.status).toBe(200);
  await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, { token: acme.token });
  await api.deps.tracker.idle();
});
afterAll(async () => {
  // No secret, code, token or verifier in any response or log line.
  const everything = [...api.bodies, ...api.log.lines].join("\n");
  expect(everything).not.toContain(api.entra.secret);
  await api?.stop();
});

const tenantDir = () => {
  const tenant = api.directory.find(api.entra.tenantId);
  if (!tenant) throw new Error("no tenant");
  return tenant;
};
const syncedUser = async (upnPrefix = "") => {
  const rows = await api.deps.db.db
    .select()
    .from(users)
    .where(eq(users.connectionId, connectionId));
  const row = rows.find((user) => !user.deletedAt && user.email.startsWith(upnPrefix));
  if (!row?.externalId) throw new Error("no synced user");
  return row;
};
const sessionCount = async () => (await api.deps.db.db.select().from(sessions)).length;

const cookieOf = (response: Response, name: string) =>
  response.headers
    .getSetCookie()
    .map((line) => line.split(";")[0] as string)
    .find((pair) => pair.startsWith(`${name}=`) && pair.length > name.length + 1);

/** GET on the app, as the browser would at the public URL. */
const appGet = (path: string, cookie?: string) =>
  api.app.request(`${api.publicUrl}${path}`, { headers: cookie ? { cookie } : {} });

/** The button → the simulator's authorize → (a user chosen there) → the callback. */
async function signIn(options: {
  user?: string;
  start?: string;
  decline?: boolean;
  /** false: the callback arrives in a browser without the transaction cookie. */
  withCookie?: boolean;
  editCallback?: (url: URL) => void;
}) {
  const start = await appGet(options.start ?? "/api/auth/sso/microsoft/start?tenant=acme");
  expect(start.status).toBe(302);
  const transaction = cookieOf(start, "roster_sign_in");
  const authorize = new URL(start.headers.get("location") as string);
  authorize.searchParams.set("sim_user", options.user ?? "");
  if (options.decline) authorize.searchParams.set("sim_consent", "decline");
  const directory = await fetch(authorize, { redirect: "manual" });
  const callback = new URL(directory.headers.get("location") as string);
  options.editCallback?.(callback);
  const back = () =>
    appGet(
      `${callback.pathname}${callback.search}`,
      options.withCookie === false ? undefined : transaction,
    );
  const landed = await back();
  return { start, authorize, transaction, callback, landed, back };
}

const outcome = (response: Response) => ({
  status: response.status,
  location: response.headers.get("location"),
  session: cookieOf(response, "roster_session") ?? null,
});

const me = async (session: string | null) =>
  (
    await api.app.request(`${api.publicUrl}/api/me`, {
      headers: session ? { cookie: session } : {},
    })
  ).json();

describe("providers and start", () => {
  test("the tenant's sign-in page offers Microsoft for its connected Entra connection", async () => {
    const providers = await api.call("GET", "/api/auth/providers?tenant=acme");
    expect(providers.json.items).toEqual([
      { provider: "microsoft", connectionId, label: "Sign in with Microsoft" },
    ]);
    expect((await api.call("GET", "/api/auth/providers?tenant=nobody")).json.items).toEqual([]);
  });

  test("each Entra connection shows the redirect URI to add to the app registration", async () => {
    const view = await api.call("GET", `/api/user-sync/connections/${connectionId}`, {
      token: acme.token,
    });
    expect(view.json.signIn).toEqual({
      redirectUri: "http://roster.test/api/auth/sso/microsoft/callback",
    });
  });

  test("start redirects to the tenant authority with PKCE S256, state, nonce, the scopes and login_hint", async () => {
    const start = await appGet(
      "/api/auth/sso/microsoft/start?tenant=acme&email=someone%40contoso.example",
    );
    expect(start.status).toBe(302);
    const url = new URL(start.headers.get("location") as string);
    expect(`${url.origin}${url.pathname}`).toBe(
      `${api.sim.url}/${api.entra.tenantId}/oauth2/v2.0/authorize`,
    );
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      client_id: api.entra.clientId,
      redirect_uri: "http://roster.test/api/auth/sso/microsoft/callback",
      response_type: "code",
      response_mode: "query",
      scope: "openid profile email",
      code_challenge_method: "S256",
      login_hint: "someone@contoso.example",
    });
    expect(params.code_challenge).toHaveLength(43);
    expect(params.state?.length).toBeGreaterThan(20);
    expect(params.nonce?.length).toBeGreaterThan(20);
    const cookie = start.headers.getSetCookie().join("\n");
    expect(cookie).toMatch(/roster_sign_in=[^;]+;.*Path=\/api\/auth\/sso/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  test("start reveals nothing about users: a stranger's email gets the same redirect", async () => {
    const known = await syncedUser();
    const a = await appGet(`/api/auth/sso/microsoft/start?tenant=acme&email=${known.email}`);
    const b = await appGet("/api/auth/sso/microsoft/start?tenant=acme&email=nobody%40x.example");
    expect([a.status, b.status]).toEqual([302, 302]);
    const strip = (r: Response) => {
      const url = new URL(r.headers.get("location") as string);
      for (const key of ["state", "nonce", "code_challenge", "login_hint"]) {
        url.searchParams.delete(key);
      }
      return url.href;
    };
    expect(strip(a)).toBe(strip(b));
  });

  test("an unknown tenant or provider is a 404; an off-site returnTo is a 400", async () => {
    expect((await appGet("/api/auth/sso/microsoft/start?tenant=nobody")).status).toBe(404);
    expect((await appGet("/api/auth/sso/google/start?tenant=acme")).status).toBe(404);
    for (const returnTo of [
      "https://evil.example",
      "//evil.example",
      "/\\evil.example",
      "/\t/evil.example",
      "/.//evil.example",
      "javascript:alert(1)",
    ]) {
      const response = await appGet(
        `/api/auth/sso/microsoft/start?tenant=acme&returnTo=${encodeURIComponent(returnTo)}`,
      );
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
      expect((await response.json()).error.code).toBe("validation_failed");
    }
  });
});

describe("signing in", () => {
  test("a synced user signs in with Microsoft: session cookie, then GET /api/me is that user", async () => {
    const user = await syncedUser();
    const { landed } = await signIn({ user: user.externalId as string });
    const result = outcome(landed);
    expect(result.status).toBe(302);
    expect(result.location).toBe("/");
    expect(landed.headers.getSetCookie().join("\n")).toMatch(
      /roster_session=[^;]+;.*HttpOnly.*SameSite=Lax/,
    );
    const body = await me(result.session);
    expect(body.user).toMatchObject({ id: user.id, email: user.email, signIn: "microsoft" });
    expect(body.tenant.slug).toBe("acme");
    // The transaction cookie is cleared.
    expect(landed.headers.getSetCookie().join("\n")).toMatch(/roster_sign_in=;/);
  });

  test("returnTo brings the user back to the same-origin path", async () => {
    const user = await syncedUser();
    const { landed } = await signIn({
      user: user.externalId as string,
      start: `/api/auth/sso/microsoft/start?tenant=acme&returnTo=${encodeURIComponent("/#/users?tag=x")}`,
    });
    expect(outcome(landed).location).toBe("/#/users?tag=x");
  });

  test("password sign-in of a synced user is 403 sso_required with the start URL", async () => {
    const user = await syncedUser();
    const refused = await api.call("POST", "/api/auth/login", {
      body: { tenant: "acme", email: user.email, password: "whatever-it-is" },
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("sso_required");
    expect(refused.json.error.details).toMatchObject({ provider: "microsoft", connectionId });
    const startUrl = new URL(refused.json.error.details.startUrl);
    expect(`${startUrl.origin}${startUrl.pathname}`).toBe(
      "http://roster.test/api/auth/sso/microsoft/start",
    );
    expect(Object.fromEntries(startUrl.searchParams)).toEqual({
      tenant: "acme",
      connection: connectionId,
      email: user.email,
    });
    const { landed } = await signIn({
      user: user.externalId as string,
      start: `${startUrl.pathname}${startUrl.search}`,
    });
    expect((await me(outcome(landed).session)).user.id).toBe(user.id);
  });
});

describe("refused, each with its code and no session", () => {
  const refusedWith = async (landed: Response, code: string, before: number) => {
    const result = outcome(landed);
    expect(result).toEqual({ status: 302, location: `/?signInError=${code}`, session: null });
    expect(await sessionCount()).toBe(before);
  };

  test("a user the directory has but Roster has not synced: sso_not_synced", async () => {
    const id = crypto.randomUUID();
    tenantDir().upsertUser({ ...blankUser(id, "newcomer@contoso.example"), displayName: "New" });
    const before = await sessionCount();
    await refusedWith((await signIn({ user: id })).landed, "sso_not_synced", before);
  });

  test("a password user whose email the directory user has is not matched by email: sso_not_synced", async () => {
    await api.call("POST", "/api/users", {
      token: acme.token,
      body: {
        email: "twin@contoso.example",
        firstName: "Pass",
        lastName: "Word",
        password: "a-long-password",
      },
    });
    const id = crypto.randomUUID();
    tenantDir().upsertUser({
      ...blankUser(id, "twin@contoso.example"),
      mail: "twin@contoso.example",
    });
    const before = await sessionCount();
    await refusedWith((await signIn({ user: id })).landed, "sso_not_synced", before);
  });

  test("a user whose sign-in method is password, though linked to the directory object: sso_not_synced", async () => {
    const user = await syncedUser();
    await api.deps.db.db.update(users).set({ signIn: "password" }).where(eq(users.id, user.id));
    const before = await sessionCount();
    try {
      await refusedWith(
        (await signIn({ user: user.externalId as string })).landed,
        "sso_not_synced",
        before,
      );
    } finally {
      await api.deps.db.db.update(users).set({ signIn: "microsoft" }).where(eq(users.id, user.id));
    }
  });

  test("a soft-deleted user: sso_not_synced", async () => {
    const rows = await api.deps.db.db
      .select()
      .from(users)
      .where(eq(users.connectionId, connectionId));
    const user = rows.filter((row) => !row.deletedAt).at(-1);
    if (!user?.externalId) throw new Error("no user");
    expect((await api.call("DELETE", `/api/users/${user.id}`, { token: acme.token })).status).toBe(
      204,
    );
    const before = await sessionCount();
    await refusedWith((await signIn({ user: user.externalId })).landed, "sso_not_synced", before);
  });

  test("a replayed callback: sso_expired", async () => {
    const user = await syncedUser();
    const flow = await signIn({ user: user.externalId as string });
    expect(outcome(flow.landed).session).not.toBeNull();
    const before = await sessionCount();
    await refusedWith(await flow.back(), "sso_expired", before);
  });

  test("a wrong state: sso_expired, and the attempt is spent", async () => {
    const user = await syncedUser();
    const before = await sessionCount();
    const flow = await signIn({
      user: user.externalId as string,
      editCallback: (url) => url.searchParams.set("state", "forged-state"),
    });
    await refusedWith(flow.landed, "sso_expired", before);
    const retried = new URL(flow.callback);
    retried.searchParams.set("state", new URL(flow.authorize).searchParams.get("state") as string);
    await refusedWith(
      await appGet(`${retried.pathname}${retried.search}`, flow.transaction),
      "sso_expired",
      before,
    );
  });

  test("a callback without the transaction cookie (another browser): sso_expired", async () => {
    const user = await syncedUser();
    const before = await sessionCount();
    const flow = await signIn({ user: user.externalId as string, withCookie: false });
    await refusedWith(flow.landed, "sso_expired", before);
  });

  test("an expired transaction (more than 10 minutes): sso_expired", async () => {
    const user = await syncedUser();
    const start = await appGet("/api/auth/sso/microsoft/start?tenant=acme");
    const transaction = cookieOf(start, "roster_sign_in");
    const authorize = new URL(start.headers.get("location") as string);
    authorize.searchParams.set("sim_user", user.externalId as string);
    const callback = new URL(
      (await fetch(authorize, { redirect: "manual" })).headers.get("location") as string,
    );
    const before = await sessionCount();
    offsetMs = 10 * 60 * 1000 + 1000;
    try {
      await refusedWith(
        await appGet(`${callback.pathname}${callback.search}`, transaction),
        "sso_expired",
        before,
      );
    } finally {
      offsetMs = 0;
    }
  });

  test("an ID token signed with a foreign key: sso_invalid_token", async () => {
    const user = await syncedUser();
    const before = await sessionCount();
    api.sim.setFaults({ idToken: { unpublishedKey: true } });
    try {
      await refusedWith(
        (await signIn({ user: user.externalId as string })).landed,
        "sso_invalid_token",
        before,
      );
    } finally {
      api.sim.setFaults({});
    }
  });

  test("an ID token with another audience or a nonce of another attempt: sso_invalid_token", async () => {
    const user = await syncedUser();
    const before = await sessionCount();
    for (const claims of [{ aud: crypto.randomUUID() }, { nonce: "another-attempt" }]) {
      api.sim.setFaults({ idToken: { claims } });
      try {
        await refusedWith(
          (await signIn({ user: user.externalId as string })).landed,
          "sso_invalid_token",
          before,
        );
      } finally {
        api.sim.setFaults({});
      }
    }
  });

  test("a user of another directory (tid): sso_wrong_directory", async () => {
    // Entra itself refuses another tenant's user at a tenant authority (AADSTS50020, see the
    // simulator's tests); here a validly signed token names another tenant anyway.
    const user = await syncedUser();
    const before = await sessionCount();
    api.sim.setFaults({ idToken: { claims: { tid: crypto.randomUUID() } } });
    try {
      await refusedWith(
        (await signIn({ user: user.externalId as string })).landed,
        "sso_wrong_directory",
        before,
      );
    } finally {
      api.sim.setFaults({});
    }
  });

  test("consent declined at the directory: sso_denied", async () => {
    const user = await syncedUser();
    const before = await sessionCount();
    const flow = await signIn({ user: user.externalId as string, decline: true });
    expect(flow.callback.searchParams.get("error")).toBe("access_denied");
    await refusedWith(flow.landed, "sso_denied", before);
  });

  test("the directory refuses the client secret: sso_unavailable", async () => {
    const user = await syncedUser();
    const app = tenantDir().apps.get(api.entra.clientId);
    const saved = app?.secrets ?? [];
    const before = await sessionCount();
    const start = await appGet("/api/auth/sso/microsoft/start?tenant=acme");
    if (app) app.secrets = [{ value: "rotated", expiresAt: new Date("2099-01-01") }];
    try {
      const authorize = new URL(start.headers.get("location") as string);
      authorize.searchParams.set("sim_user", user.externalId as string);
      const callback = new URL(
        (await fetch(authorize, { redirect: "manual" })).headers.get("location") as string,
      );
      await refusedWith(
        await appGet(`${callback.pathname}${callback.search}`, cookieOf(start, "roster_sign_in")),
        "sso_unavailable",
        before,
      );
    } finally {
      if (app) app.secrets = saved;
    }
  });
});

test("the OpenAPI document describes the sign-in routes and the connection's signIn", async () => {
  const doc = await (await appGet("/api/openapi.json")).json();
  for (const path of [
    "/api/auth/providers",
    "/api/auth/sso/{provider}/start",
    "/api/auth/sso/{provider}/callback",
  ]) {
    expect(doc.paths[path]?.get).toBeDefined();
  }
  const start = doc.paths["/api/auth/sso/{provider}/start"].get;
  expect(start.parameters.map((p: { name: string }) => p.name)).toEqual([
    "provider",
    "tenant",
    "connection",
    "email",
    "returnTo",
  ]);
  expect(start.responses["302"]).toBeDefined();
  expect(doc.components.schemas.Connection.properties.signIn).toBeDefined();
});
