import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as oidc from "openid-client";
import {
  blankUser,
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  startEntraSim,
} from "../src/index.ts";

/** The delegated side of the simulator, driven by the real openid-client (v6). */
const REDIRECT = "http://localhost:3000/api/auth/sso/microsoft/callback";
let sim: EntraSim;
let contoso: GeneratedTenant;
let fabrikam: GeneratedTenant;
let directory: SimDirectory;

beforeAll(async () => {
  directory = new SimDirectory();
  contoso = generateTenant(directory, {
    users: 30,
    seed: 11,
    secret: "sim~with.odd-chars_",
    redirectUris: [REDIRECT],
  });
  fabrikam = generateTenant(directory, {
    users: 5,
    seed: 12,
    domain: "fabrikam.example",
    displayName: "Fabrikam",
    redirectUris: [REDIRECT],
  });
  sim = await startEntraSim({ directory });
});
afterAll(() => sim.stop());

const discover = async (
  tenant = contoso,
  auth?: oidc.ClientAuth,
  secret: string = tenant.secret,
) => {
  const config = await oidc.discovery(
    new URL(`${sim.url}/${tenant.tenantId}/v2.0`),
    tenant.clientId,
    secret,
    auth,
  );
  oidc.enableNonRepudiationChecks(config);
  return config;
};

/** Starts a flow as Roster does: PKCE S256, state, nonce, the three scopes. */
const begin = async (config: oidc.Configuration, extra: Record<string, string> = {}) => {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid profile email",
    response_type: "code",
    response_mode: "query",
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
    ...extra,
  });
  return { url, verifier, state, nonce };
};

const visit = (url: URL | string, init?: RequestInit) =>
  fetch(url, { redirect: "manual", ...init });

const aadstsOf = async (response: Response) =>
  /data-aadsts="(\d+)"/.exec(await response.text())?.[1];

const member = (tenant = contoso) => {
  const user = directory
    .find(tenant.tenantId)
    ?.sortedUsers()
    .find((u) => u.userType === "Member" && u.accountEnabled && u.mail);
  if (!user) throw new Error("no member");
  return user;
};

describe("discovery and keys", () => {
  test("the tenant document names the authorize endpoint and a JWKS of RS256 keys with kid", async () => {
    const config = await discover();
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(`${sim.url}/${contoso.tenantId}/v2.0`);
    expect(metadata.authorization_endpoint).toBe(
      `${sim.url}/${contoso.tenantId}/oauth2/v2.0/authorize`,
    );
    const jwks = await (await fetch(metadata.jwks_uri as string)).json();
    expect(jwks.keys[0]).toMatchObject({ kty: "RSA", use: "sig", e: "AQAB" });
    expect(jwks.keys[0].kid).toHaveLength(27);
    expect(jwks.keys[0].kid).toBe(jwks.keys[0].x5t);
    expect(jwks.keys[0]).not.toHaveProperty("alg");
  });

  test("an unknown tenant fails discovery with AADSTS90002", async () => {
    const error = await oidc
      .discovery(new URL(`${sim.url}/${crypto.randomUUID()}/v2.0`), contoso.clientId, "x")
      .catch((e) => e);
    expect(error).toBeInstanceOf(oidc.ClientError);
    const body = await (error.cause as Response).json();
    expect(body.error_codes).toEqual([90002]);
  });
});

describe("authorization code flow", () => {
  test("a member signs in: RS256 ID token with kid, iss, aud, tid, oid, pairwise sub, nonce, ver 2.0", async () => {
    const config = await discover();
    const user = member();
    const flow = await begin(config);
    const back = await visit(`${flow.url.href}&sim_user=${user.id}`);
    expect(back.status).toBe(302);
    const callback = new URL(back.headers.get("location") as string);
    expect(callback.origin + callback.pathname).toBe(REDIRECT);
    expect(callback.searchParams.get("state")).toBe(flow.state);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims).toMatchObject({
      aud: contoso.clientId,
      iss: `${sim.url}/${contoso.tenantId}/v2.0`,
      tid: contoso.tenantId,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      name: user.displayName,
      nonce: flow.nonce,
      ver: "2.0",
      email: user.mail,
    });
    expect(claims?.sub).toHaveLength(43);
    expect(claims?.sub).not.toBe(user.id);
    expect((claims?.exp as number) - (claims?.iat as number)).toBe(3600);
    expect(claims?.nbf).toBe(claims?.iat);
    const header = JSON.parse(
      Buffer.from((tokens.id_token as string).split(".")[0] as string, "base64url").toString(),
    );
    expect(header).toMatchObject({ alg: "RS256", typ: "JWT" });
    expect(header.kid).toHaveLength(27);
    expect(tokens.token_type).toBe("bearer");
  });

  test("the sign-in page lists the users, the login_hint prefilled; choosing one redirects with a code", async () => {
    const config = await discover();
    const user = member();
    const flow = await begin(config, { login_hint: user.userPrincipalName });
    const page = await visit(flow.url);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(`value="${user.userPrincipalName}"`);
    expect(html).toContain(`name="user" value="${user.id}"`);
    const form = new URLSearchParams(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1] as string,
        (m[2] as string).replaceAll("&amp;", "&"),
      ]),
    );
    form.set("login", user.userPrincipalName);
    form.set("action", "sign-in");
    const back = await visit(`${sim.url}/${contoso.tenantId}/oauth2/v2.0/authorize`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: form,
    });
    const callback = new URL(back.headers.get("location") as string);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
    });
    expect(tokens.claims()?.oid).toBe(user.id);
  });

  test("a client secret with ~ . - _ works through HTTP Basic (form-urlencoded, then base64)", async () => {
    const config = await discover(contoso, oidc.ClientSecretBasic(contoso.secret));
    const flow = await begin(config);
    const back = await visit(`${flow.url.href}&sim_user=${member().id}`);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(back.headers.get("location") as string),
      { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce },
    );
    expect(tokens.claims()?.tid).toBe(contoso.tenantId);
  });
});

describe("what Entra refuses", () => {
  const authorizeUrl = (params: Record<string, string>, tenant = contoso.tenantId) =>
    `${sim.url}/${tenant}/oauth2/v2.0/authorize?${new URLSearchParams({
      client_id: contoso.clientId,
      redirect_uri: REDIRECT,
      response_type: "code",
      scope: "openid profile email",
      state: "s1",
      ...params,
    })}`;

  test("unknown tenant, unknown app and a redirect URI mismatch are Entra's page, never a redirect", async () => {
    for (const [url, code] of [
      [authorizeUrl({}, crypto.randomUUID()), "90002"],
      [authorizeUrl({ client_id: crypto.randomUUID() }), "700016"],
      [authorizeUrl({ redirect_uri: `${REDIRECT}/` }), "50011"],
      [authorizeUrl({ redirect_uri: REDIRECT.toUpperCase() }), "50011"],
    ] as const) {
      const response = await visit(url);
      expect(response.headers.get("location")).toBeNull();
      expect(await aadstsOf(response)).toBe(code);
    }
  });

  test("an app registration without a redirect URI gets AADSTS500113", async () => {
    const app = directory.find(fabrikam.tenantId)?.apps.get(fabrikam.clientId);
    const saved = app?.redirectUris;
    if (app) app.redirectUris = [];
    const response = await visit(authorizeUrl({ client_id: fabrikam.clientId }, fabrikam.tenantId));
    if (app) app.redirectUris = saved;
    expect(await aadstsOf(response)).toBe("500113");
  });

  test("a disabled account (AADSTS50057) and another tenant's user (AADSTS50020) get a page", async () => {
    const disabled = await visit(authorizeUrl({ sim_user: contoso.edgeCases.disabled }));
    expect(disabled.headers.get("location")).toBeNull();
    expect(await aadstsOf(disabled)).toBe("50057");
    const foreign = await visit(authorizeUrl({ sim_user: member(fabrikam).userPrincipalName }));
    expect(await aadstsOf(foreign)).toBe("50020");
  });

  test("declined consent redirects with access_denied, AADSTS65004 and the state", async () => {
    const config = await discover();
    const flow = await begin(config);
    const back = await visit(`${flow.url.href}&sim_user=${member().id}&sim_consent=decline`);
    const callback = new URL(back.headers.get("location") as string);
    expect(callback.searchParams.get("error")).toBe("access_denied");
    expect(callback.searchParams.get("error_description")).toStartWith("AADSTS65004:");
    expect(callback.searchParams.get("error_description")).toContain("\r\nTrace ID:");
    expect([...callback.searchParams.keys()].at(-1)).toBe("state");
    const error = await oidc
      .authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(oidc.AuthorizationResponseError);
    expect(error.error).toBe("access_denied");
  });

  test("a code is redeemed once (AADSTS54005) and needs its PKCE verifier (AADSTS501481)", async () => {
    const config = await discover();
    const flow = await begin(config);
    const back = await visit(`${flow.url.href}&sim_user=${member().id}`);
    const callback = new URL(back.headers.get("location") as string);
    const wrong = await oidc
      .authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: flow.state,
      })
      .catch((e) => e);
    expect(wrong).toBeInstanceOf(oidc.ResponseBodyError);
    expect(wrong.cause.error_codes).toEqual([501481]);
    const replay = await oidc
      .authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
      })
      .catch((e) => e);
    expect(replay.error).toBe("invalid_grant");
    expect(replay.cause.error_codes).toEqual([54005]);
  });

  test("a wrong client secret is 401 invalid_client AADSTS7000215", async () => {
    const config = await discover(contoso, undefined, "not-the-secret");
    const flow = await begin(config);
    const back = await visit(`${flow.url.href}&sim_user=${member().id}`);
    const error = await oidc
      .authorizationCodeGrant(config, new URL(back.headers.get("location") as string), {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
      })
      .catch((e) => e);
    expect([error.status, error.error, error.cause.error_codes]).toEqual([
      401,
      "invalid_client",
      [7000215],
    ]);
  });

  test("an expired code is AADSTS70008", async () => {
    const quick = await startEntraSim({ directory, codeLifetimeSeconds: 0 });
    try {
      const config = await oidc.discovery(
        new URL(`${quick.url}/${contoso.tenantId}/v2.0`),
        contoso.clientId,
        contoso.secret,
      );
      const flow = await begin(config);
      const back = await visit(`${flow.url.href}&sim_user=${member().id}`);
      const error = await oidc
        .authorizationCodeGrant(config, new URL(back.headers.get("location") as string), {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
        })
        .catch((e) => e);
      expect(error.cause.error_codes).toEqual([70008]);
    } finally {
      await quick.stop();
    }
  });

  test("a token signed with an unpublished key passes openid-client by default, not with non-repudiation checks", async () => {
    sim.setFaults({ idToken: { unpublishedKey: true } });
    try {
      const run = async (checked: boolean) => {
        const config = await oidc.discovery(
          new URL(`${sim.url}/${contoso.tenantId}/v2.0`),
          contoso.clientId,
          contoso.secret,
        );
        if (checked) oidc.enableNonRepudiationChecks(config);
        const flow = await begin(config);
        const back = await visit(`${flow.url.href}&sim_user=${member().id}`);
        return oidc
          .authorizationCodeGrant(config, new URL(back.headers.get("location") as string), {
            pkceCodeVerifier: flow.verifier,
            expectedState: flow.state,
            expectedNonce: flow.nonce,
          })
          .then(() => "accepted")
          .catch((e: Error & { code?: string }) => `${e.code} ${(e.cause as Error)?.message}`);
      };
      expect(await run(false)).toBe("accepted");
      expect(await run(true)).toMatch(/signature/i);
    } finally {
      sim.setFaults({});
    }
  });

  test("a user added after the tenant was generated can sign in at once", async () => {
    const tenant = directory.find(contoso.tenantId);
    const id = crypto.randomUUID();
    tenant?.upsertUser({ ...blankUser(id, "late@contoso.example"), displayName: "Late Joiner" });
    const config = await discover();
    const flow = await begin(config);
    const back = await visit(`${flow.url.href}&sim_user=late@contoso.example`);
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(back.headers.get("location") as string),
      { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce },
    );
    expect(tokens.claims()).toMatchObject({ oid: id, name: "Late Joiner" });
    expect(tokens.claims()).not.toHaveProperty("email");
  });
});
