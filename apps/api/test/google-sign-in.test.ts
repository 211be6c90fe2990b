import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sessions, users } from "@roster/db";
import { generateWorkspace } from "@roster/google-sim";
import { and, eq, isNull } from "drizzle-orm";
import { testApi } from "./support.ts";

/**
 * Sign in with Google end to end: a Google Workspace connection set up, connected and synced
 * through the API, then the generic sign-in routes with the real openid-client against the
 * Google simulator's discovery, account chooser, token endpoint and JWKS. The API knows
 * nothing of Google beyond its connectors list.
 */
let api: Awaited<ReturnType<typeof testApi>>;
let globex: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let connectionId: string;

const google = () => {
  if (!api.google) throw new Error("no Google simulator");
  return api.google;
};
const settings = (overrides: Record<string, unknown> = {}) => ({
  adminEmail: google().ws.adminEmail,
  signInClientId: google().ws.oauthClient.clientId,
  ...overrides,
});
/** The key file and the sign-in client's secret, in the connection's one secret. */
const secret = () =>
  JSON.stringify({
    serviceAccountKey: google().ws.serviceAccountKey,
    signInClientSecret: google().ws.oauthClient.clientSecret,
  });

beforeAll(async () => {
  api = await testApi({ users: 5, google: { users: 40 } });
  globex = await api.createTenant("globex");
  const created = await api.call("POST", "/api/user-sync/connections", {
    token: globex.token,
    body: { type: "google", settings: settings(), secret: secret() },
  });
  expect(created.status).toBe(201);
  connectionId = created.json.id;
  // A draft connection signs nobody in.
  expect((await api.call("GET", "/api/auth/providers?tenant=globex")).json.items).toEqual([]);
  const connected = await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
    token: globex.token,
  });
  expect(connected.status).toBe(200);
  const sync = await api.call("POST", `/api/user-sync/connections/${connectionId}/sync`, {
    token: globex.token,
  });
  expect(sync.status).toBe(202);
  await api.deps.tracker.idle();
});
afterAll(async () => {
  // No key, client secret, code or token in any response or log line.
  const everything = [...api.bodies, ...api.log.lines].join("\n");
  expect(everything).not.toContain(google().ws.oauthClient.clientSecret);
  expect(everything).not.toContain(google().ws.serviceAccountKey.private_key_id);
  await api?.stop();
});

const syncedUsers = () =>
  api.deps.db.db
    .select()
    .from(users)
    .where(and(eq(users.connectionId, connectionId), isNull(users.deletedAt)));
const syncedUser = async (index = 0) => {
  const row = (await syncedUsers()).filter((user) => user.externalId)[index];
  if (!row) throw new Error("no synced user");
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

/**
 * The button → Google's account chooser (the simulator's page) → an account picked there,
 * or Cancel → the callback, carrying the transaction cookie as the browser would.
 */
async function signIn(options: { email?: string; cancel?: boolean; start?: string }) {
  const start = await appGet(options.start ?? "/api/auth/sso/google/start?tenant=globex");
  expect(start.status).toBe(302);
  const transaction = cookieOf(start, "roster_sign_in");
  const authorize = new URL(start.headers.get("location") as string);
  const chooser = await (await fetch(authorize)).text();
  const request = /name="request" value="([^"]+)"/.exec(chooser)?.[1] ?? "";
  const chosen = await fetch(new URL("/o/oauth2/v2/auth/choose", authorize), {
    method: "POST",
    body: new URLSearchParams(
      options.cancel ? { request, cancel: "1" } : { request, account: options.email ?? "" },
    ),
    redirect: "manual",
  });
  const location = chosen.headers.get("location");
  if (!location) throw new Error(`Google answered ${chosen.status}: ${await chosen.text()}`);
  const callback = new URL(location);
  const back = () => appGet(`${callback.pathname}${callback.search}`, transaction);
  const landed = await back();
  return { start, authorize, chooser, callback, landed, back };
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
  test("the Google tenant's sign-in page offers Google for its connected Workspace", async () => {
    const providers = await api.call("GET", "/api/auth/providers?tenant=globex");
    expect(providers.json.items).toEqual([
      { provider: "google", connectionId, label: "Sign in with Google" },
    ]);
    const view = await api.call("GET", `/api/user-sync/connections/${connectionId}`, {
      token: globex.token,
    });
    expect(view.json.signIn).toEqual({
      redirectUri: "http://roster.test/api/auth/sso/google/callback",
    });
  });

  test("start redirects to Google's authorization endpoint with PKCE, state, nonce, the scopes and hd", async () => {
    const start = await appGet(
      "/api/auth/sso/google/start?tenant=globex&email=someone%40example.test",
    );
    expect(start.status).toBe(302);
    const url = new URL(start.headers.get("location") as string);
    // From discovery at GOOGLE_ISSUER_URL, as at https://accounts.google.com.
    expect(`${url.origin}${url.pathname}`).toBe(`${google().sim.issuerUrl}/o/oauth2/v2/auth`);
    const params = Object.fromEntries(url.searchParams);
    expect(params).toMatchObject({
      client_id: google().ws.oauthClient.clientId,
      redirect_uri: "http://roster.test/api/auth/sso/google/callback",
      response_type: "code",
      scope: "openid profile email",
      code_challenge_method: "S256",
      login_hint: "someone@example.test",
      hd: google().ws.domain,
    });
    expect(params.code_challenge).toHaveLength(43);
    expect(params.state?.length).toBeGreaterThan(20);
    expect(params.nonce?.length).toBeGreaterThan(20);
  });

  /** A settings change that alters the scope sends the connection back to draft: connect again. */
  const reconfigure = async (next: Record<string, unknown>) => {
    const updated = await api.call("PATCH", `/api/user-sync/connections/${connectionId}`, {
      token: globex.token,
      body: { settings: next },
    });
    expect(updated.status).toBe(200);
    const connected = await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
      token: globex.token,
    });
    expect(connected.status).toBe(200);
  };

  test("with several sign-in domains, hd is * (any Workspace account) and the Workspace's users still sign in", async () => {
    await reconfigure(settings({ signInDomains: ["other.example", google().ws.domain] }));
    try {
      const start = await appGet("/api/auth/sso/google/start?tenant=globex");
      expect(new URL(start.headers.get("location") as string).searchParams.get("hd")).toBe("*");
      const user = await syncedUser(3);
      const { landed } = await signIn({ email: user.email });
      expect((await me(outcome(landed).session)).user.id).toBe(user.id);
    } finally {
      await reconfigure(settings());
    }
  });
});

describe("signing in", () => {
  test("a synced Google user signs in through the account chooser: GET /api/me is that user", async () => {
    const user = await syncedUser();
    const flow = await signIn({ email: user.email });
    // The chooser lists the Workspace's accounts (hd); this one is typed in, as a user would.
    expect(flow.chooser).toContain(`@${google().ws.domain}"`);
    expect(flow.callback.searchParams.get("hd")).toBe(google().ws.domain);
    const result = outcome(flow.landed);
    expect(result.status).toBe(302);
    expect(result.location).toBe("/");
    const body = await me(result.session);
    expect(body.user).toMatchObject({ id: user.id, email: user.email, signIn: "google" });
    expect(body.tenant.slug).toBe("globex");
    expect(flow.landed.headers.getSetCookie().join("\n")).toMatch(/roster_sign_in=;/);
  });

  test("password sign-in of a synced Google user is 403 sso_required, whose start URL signs them in", async () => {
    const user = await syncedUser(1);
    const refused = await api.call("POST", "/api/auth/login", {
      body: { tenant: "globex", email: user.email, password: "whatever-it-may-be" },
    });
    expect([refused.status, refused.json.error.code]).toEqual([403, "sso_required"]);
    expect(refused.json.error.details).toMatchObject({ provider: "google", connectionId });
    const startUrl = new URL(refused.json.error.details.startUrl);
    expect(startUrl.pathname).toBe("/api/auth/sso/google/start");
    const { landed } = await signIn({
      email: user.email,
      start: `${startUrl.pathname}${startUrl.search}`,
    });
    expect((await me(outcome(landed).session)).user.id).toBe(user.id);
  });
});

describe("refused, each with its code and no session", () => {
  const refusedWith = async (landed: Response, code: string, before: number) => {
    expect(outcome(landed)).toEqual({
      status: 302,
      location: `/?signInError=${code}`,
      session: null,
    });
    expect(await sessionCount()).toBe(before);
  };

  test("an account of another Workspace (wrong hd): sso_wrong_directory", async () => {
    const other = generateWorkspace(google().sim.google, {
      users: 2,
      seed: 11,
      domain: "initech.test",
    });
    // An Internal client stops outsiders at Google (org_internal); an External one lets
    // them through, and Roster must refuse them itself.
    const client = google().model.oauthClients.get(google().ws.oauthClient.clientId);
    if (!client) throw new Error("no client");
    client.internal = false;
    const before = await sessionCount();
    try {
      const flow = await signIn({ email: other.adminEmail });
      expect(flow.callback.searchParams.get("hd")).toBe("initech.test");
      await refusedWith(flow.landed, "sso_wrong_directory", before);
      // A personal Google account has no hd at all.
      google().sim.google.consumers.set("personal", {
        sub: "100000000000000000001",
        email: "someone@gmail.test",
        emailVerified: true,
        name: "Some One",
      });
      await refusedWith(
        (await signIn({ email: "someone@gmail.test" })).landed,
        "sso_wrong_directory",
        before,
      );
    } finally {
      client.internal = true;
    }
  });

  test("a Workspace user Roster has not synced (unknown sub): sso_not_synced", async () => {
    const id = "199999999999999999999";
    google().model.upsertUser({
      id,
      primaryEmail: `newcomer@${google().ws.domain}`,
      name: { givenName: "New", familyName: "Comer", fullName: "New Comer" },
      isAdmin: false,
      suspended: false,
      archived: false,
      orgUnitPath: "/",
      creationTime: new Date().toISOString(),
    });
    const before = await sessionCount();
    try {
      await refusedWith(
        (await signIn({ email: `newcomer@${google().ws.domain}` })).landed,
        "sso_not_synced",
        before,
      );
    } finally {
      google().model.deleteUser(id);
    }
  });

  test("a synced user whose email Google does not call verified: sso_invalid_token", async () => {
    const user = await syncedUser(2);
    const account = google().model.users.get(user.externalId as string);
    if (!account) throw new Error("no account");
    account.emailVerified = false;
    const before = await sessionCount();
    try {
      await refusedWith((await signIn({ email: user.email })).landed, "sso_invalid_token", before);
    } finally {
      delete account.emailVerified;
    }
  });

  test("a replayed callback: sso_expired", async () => {
    const user = await syncedUser();
    const flow = await signIn({ email: user.email });
    expect(outcome(flow.landed).session).not.toBeNull();
    const before = await sessionCount();
    await refusedWith(await flow.back(), "sso_expired", before);
  });

  test("Cancel on Google's account chooser (consent declined): sso_denied", async () => {
    const before = await sessionCount();
    const flow = await signIn({ cancel: true });
    expect(flow.callback.searchParams.get("error")).toBe("access_denied");
    await refusedWith(flow.landed, "sso_denied", before);
  });
});

describe("the groups list", () => {
  test("repeated groups are kept once and read once on connect; more than 50 are a 400", async () => {
    const email = google().ws.groupEmails.sample;
    const copies = Array.from({ length: 50 }, (_, i) => (i % 2 ? email.toUpperCase() : email));
    const created = await api.call("POST", "/api/user-sync/connections", {
      token: globex.token,
      body: {
        type: "google",
        settings: { adminEmail: google().ws.adminEmail, users: "selectedGroups", groups: copies },
        secret: JSON.stringify(google().ws.serviceAccountKey),
      },
    });
    expect(created.status).toBe(201);
    expect(created.json.settings.groups).toEqual([email]);
    google().sim.resetCounts();
    const connected = await api.call(
      "POST",
      `/api/user-sync/connections/${created.json.id}/connect`,
      { token: globex.token },
    );
    expect(connected.status).toBe(200);
    expect(google().sim.counts.byRoute["/admin/directory/v1/groups/:key"]).toBe(1);
    const tooMany = await api.call("POST", "/api/user-sync/connections", {
      token: globex.token,
      body: {
        type: "google",
        settings: {
          adminEmail: google().ws.adminEmail,
          users: "selectedGroups",
          groups: Array.from({ length: 51 }, (_, i) => `group-${i}@${google().ws.domain}`),
        },
        secret: JSON.stringify(google().ws.serviceAccountKey),
      },
    });
    expect([tooMany.status, tooMany.json.error.code]).toEqual([400, "validation_failed"]);
    expect(tooMany.json.error.details[0].path).toEqual(["settings", "groups"]);
    await api.call("DELETE", `/api/user-sync/connections/${created.json.id}`, {
      token: globex.token,
    });
  });
});
