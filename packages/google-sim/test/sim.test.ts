import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createPrivateKey } from "node:crypto";
import { SignJWT } from "jose";
import {
  DIRECTORY_SCOPES,
  type GeneratedWorkspace,
  type GoogleSim,
  generateWorkspace,
  SimGoogle,
  startGoogleSim,
} from "../src/index.ts";

let sim: GoogleSim;
let ws: GeneratedWorkspace;

beforeAll(async () => {
  const google = new SimGoogle();
  ws = generateWorkspace(google, { users: 30, seed: 4 });
  sim = await startGoogleSim({ google });
});
afterAll(() => sim.stop());

/** An assertion as google-auth-library (gtoken) builds it: header exactly {"alg":"RS256"}. */
const assertion = (claims: Record<string, unknown>, key = ws.serviceAccountKey.private_key) =>
  new SignJWT({ scope: DIRECTORY_SCOPES.join(" "), sub: ws.adminEmail, ...claims })
    .setProtectedHeader({ alg: "RS256" })
    .setIssuer(ws.serviceAccountKey.client_email)
    .setAudience("https://oauth2.googleapis.com/token")
    .setIssuedAt()
    .setExpirationTime("1h")
    .sign(createPrivateKey(key));

const grant = async (jwt: string) => {
  const response = await fetch(sim.tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
      assertion: jwt,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe("token endpoint", () => {
  test("a delegated grant answers a bearer token for an hour", async () => {
    const { status, body } = await grant(await assertion({}));
    expect(status).toBe(200);
    expect(body).toMatchObject({ token_type: "Bearer", expires_in: 3599 });
    expect(String(body.access_token)).toStartWith("ya29.");
  });

  test("each failure answers Google's error body", async () => {
    expect(await grant(await assertion({ sub: `ghost@${ws.domain}` }))).toEqual({
      status: 400,
      body: { error: "invalid_grant", error_description: "Invalid email or User ID" },
    });
    expect(
      await grant(
        await assertion({ scope: "https://www.googleapis.com/auth/admin.directory.user" }),
      ),
    ).toMatchObject({
      status: 401,
      body: { error: "unauthorized_client" },
    });
    const tampered = `${(await assertion({})).slice(0, -4)}AAAA`;
    expect(await grant(tampered)).toEqual({
      status: 400,
      body: { error: "invalid_grant", error_description: "Invalid JWT Signature." },
    });
    expect((await grant(await assertion({ scope: "" }))).body.error).toBe("invalid_scope");
  });
});

describe("Directory API", () => {
  const token = async (sub = ws.adminEmail) =>
    String((await grant(await assertion({ sub }))).body.access_token);
  const get = async (path: string, bearer?: string) => {
    const response = await fetch(`${sim.url}${path}`, {
      headers: bearer ? { authorization: `Bearer ${bearer}` } : {},
    });
    return {
      status: response.status,
      type: response.headers.get("content-type"),
      body: (await response.json()) as {
        error?: { code: number; errors: { reason: string }[] };
        users?: unknown[];
        nextPageToken?: string;
      },
    };
  };

  test("errors use Google's envelope: 401 authError, 403 forbidden, 400 without customer, 404 groupKey", async () => {
    const noToken = await get("/admin/directory/v1/users?customer=my_customer");
    expect([noToken.status, noToken.body.error?.errors[0]?.reason, noToken.type]).toEqual([
      401,
      "authError",
      "application/json; charset=UTF-8",
    ]);
    const notAdmin = await get(
      "/admin/directory/v1/users?customer=my_customer",
      await token(ws.nonAdminEmail),
    );
    expect([notAdmin.status, notAdmin.body.error?.errors[0]?.reason]).toEqual([403, "forbidden"]);
    const admin = await token();
    expect((await get("/admin/directory/v1/users", admin)).status).toBe(400);
    expect(
      (await get("/admin/directory/v1/users?customer=my_customer&maxResults=501", admin)).status,
    ).toBe(400);
    const missing = await get("/admin/directory/v1/groups/nope%40x.test/members", admin);
    expect([missing.status, missing.body.error?.errors[0]?.reason]).toEqual([404, "notFound"]);
  });

  test("pages follow page tokens; an empty result has no users member; suspended users filter by query", async () => {
    const admin = await token();
    const first = await get("/admin/directory/v1/users?customer=my_customer&maxResults=10", admin);
    expect(first.body.users).toHaveLength(10);
    const second = await get(
      `/admin/directory/v1/users?customer=my_customer&maxResults=10&pageToken=${first.body.nextPageToken}`,
      admin,
    );
    expect(second.body.users).toHaveLength(10);
    const none = await get(
      `/admin/directory/v1/users?customer=my_customer&query=${encodeURIComponent("email=nobody@x.test")}`,
      admin,
    );
    expect(none.body).not.toHaveProperty("users");
    const suspended = await get(
      `/admin/directory/v1/users?customer=my_customer&query=isSuspended%3Dtrue`,
      admin,
    );
    expect(suspended.body.users).toHaveLength(1);
  });

  test("rate limits answer 403 userRateLimitExceeded in the usageLimits domain", async () => {
    const admin = await token();
    sim.setFaults({ rateLimit: { count: 1 } });
    const limited = await get("/admin/directory/v1/users?customer=my_customer", admin);
    sim.setFaults({});
    expect(limited.status).toBe(403);
    expect(limited.body.error?.errors[0]).toMatchObject({
      reason: "userRateLimitExceeded",
      domain: "usageLimits",
    });
  });
});

test("discovery names this origin as issuer and Google's endpoints on it", async () => {
  const metadata = (await (
    await fetch(`${sim.issuerUrl}/.well-known/openid-configuration`)
  ).json()) as Record<string, unknown>;
  expect(metadata).toMatchObject({
    issuer: sim.issuerUrl,
    token_endpoint: sim.tokenUrl,
    code_challenge_methods_supported: ["plain", "S256"],
    subject_types_supported: ["public"],
  });
  const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as {
    keys: { alg: string; kid: string }[];
  };
  expect(jwks.keys[0]?.alg).toBe("RS256");
  expect(jwks.keys[0]?.kid).toMatch(/^[0-9a-f]{40}$/);
});

test("the account chooser offers the hd domain's accounts; cancel returns access_denied", async () => {
  const redirect = "https://roster.test/api/auth/sso/google/callback";
  const client = [...(sim.google.workspaces.get(ws.customerId)?.oauthClients.values() ?? [])][0];
  if (!client) throw new Error("no client");
  client.redirectUris.push(redirect);
  const authorize = (hd?: string) => {
    const url = new URL(`${sim.issuerUrl}/o/oauth2/v2/auth`);
    url.search = new URLSearchParams({
      client_id: client.clientId,
      redirect_uri: redirect,
      response_type: "code",
      scope: "openid email profile",
      state: "s1",
      ...(hd ? { hd } : {}),
    }).toString();
    return fetch(url).then((response) => response.text());
  };
  const accounts = (page: string) => page.match(/name="account" value="[^"]+"/g)?.length ?? 0;
  expect(accounts(await authorize(ws.domain))).toBeGreaterThan(0);
  expect(accounts(await authorize("*"))).toBeGreaterThan(0);
  expect(accounts(await authorize("elsewhere.test"))).toBe(0);
  const page = await authorize(ws.domain);
  const request = /name="request" value="([^"]+)"/.exec(page)?.[1] ?? "";
  const cancelled = await fetch(`${sim.issuerUrl}/o/oauth2/v2/auth/choose`, {
    method: "POST",
    body: new URLSearchParams({ request, cancel: "1" }),
    redirect: "manual",
  });
  const back = new URL(cancelled.headers.get("location") ?? "");
  expect(`${back.origin}${back.pathname}`).toBe(redirect);
  expect(Object.fromEntries(back.searchParams)).toEqual({ error: "access_denied", state: "s1" });
});
