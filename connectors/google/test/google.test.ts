import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ConnectorError, type DirectoryUser } from "@roster/connector-kit";
import {
  createServiceAccount,
  type GeneratedWorkspace,
  type GoogleSim,
  generateWorkspace,
  DIRECTORY_SCOPES as SIM_SCOPES,
  SimGoogle,
  type SimWorkspace,
  startGoogleSim,
} from "@roster/google-sim";
import * as oidc from "openid-client";
import {
  DIRECTORY_SCOPES,
  type GoogleSettings,
  googleWorkspace,
  readSecret,
} from "../src/index.ts";
import { expectedMembers, recordingLog, withForeignKey } from "./support.ts";

const REDIRECT = "https://roster.test/api/auth/sso/google/callback";
const google = new SimGoogle();
let sim: GoogleSim;
let ws: GeneratedWorkspace;
let model: SimWorkspace;
let connector: ReturnType<typeof googleWorkspace>;
const { log } = recordingLog();

beforeAll(async () => {
  ws = generateWorkspace(google, { users: 1200, seed: 5, redirectUris: [REDIRECT] });
  model = google.workspaces.get(ws.customerId) as SimWorkspace;
  sim = await startGoogleSim({ google });
  connector = googleWorkspace({
    tokenUrl: sim.tokenUrl,
    directoryUrl: sim.directoryUrl,
    issuerUrl: sim.issuerUrl,
    backoff: { attempts: 5, baseMs: 5, maxMs: 40 },
    transientRetry: { retries: 1, delayMs: 5 },
  });
});
afterAll(() => sim.stop());

const settings = (overrides: Record<string, unknown> = {}): GoogleSettings =>
  connector.settings.parse({ adminEmail: ws.adminEmail, ...overrides });
const keyJson = () => JSON.stringify(ws.serviceAccountKey);
const secretOf = (text = keyJson()) => connector.secret.schema.parse(text);

const readAll = async (
  input: { settings: GoogleSettings; secret?: string; fields?: string[] },
  logger = log,
) => {
  const pages: DirectoryUser[][] = [];
  for await (const page of connector.readUsers({
    settings: input.settings,
    secret: input.secret ?? secretOf(),
    log: logger,
    fields: input.fields ?? ["primaryEmail"],
  })) {
    pages.push(page);
  }
  return pages;
};
const idsOf = (pages: DirectoryUser[][]) => pages.flat().map((user) => user.externalId);

describe("settings and secret", () => {
  test("is available, with defaults for the customer and the sync options", () => {
    expect(connector.status).toBe("available");
    expect(connector.signIn).toBe("google");
    expect(settings()).toMatchObject({
      customerId: "my_customer",
      users: "all",
      aliasTemplate: "%primaryEmail%",
      signInClientId: "",
    });
  });

  test("a malformed key is refused at save with a message that says what is wrong", () => {
    const cases: [string, string][] = [
      ["{not json", "not valid JSON"],
      [JSON.stringify({ ...ws.serviceAccountKey, type: "authorized_user" }), "service_account"],
      [
        JSON.stringify({
          ...ws.serviceAccountKey,
          private_key: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n",
        }),
        "not a PEM private key",
      ],
      [JSON.stringify({ ...ws.serviceAccountKey, client_email: undefined }), "client_email"],
    ];
    for (const [text, message] of cases) {
      const result = connector.secret.schema.safeParse(text);
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((issue) => issue.message).join(" ")).toContain(message);
    }
  });

  test("the key file is kept with the sign-in client secret in one encrypted secret", () => {
    const bare = readSecret(secretOf());
    expect(bare.serviceAccountKey.client_email).toBe(ws.serviceAccountKey.client_email);
    expect(bare.signInClientSecret).toBeUndefined();
    const both = readSecret(
      secretOf(
        JSON.stringify({ serviceAccountKey: ws.serviceAccountKey, signInClientSecret: "GOCSPX-x" }),
      ),
    );
    expect(both.signInClientSecret).toBe("GOCSPX-x");
  });

  test("scoping needs its groups or org units; org unit paths start with /", () => {
    const result = connector.settings.safeParse({
      adminEmail: ws.adminEmail,
      users: "orgUnits",
      orgUnits: ["Sales"],
    });
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["orgUnits.0"]);
    const noGroups = connector.settings.safeParse({
      adminEmail: ws.adminEmail,
      users: "selectedGroups",
    });
    expect(noGroups.error?.issues.map((issue) => issue.path.join("."))).toEqual(["users"]);
    expect(settings({ users: "orgUnits", orgUnits: ["/Sales/"] }).orgUnits).toEqual(["/Sales"]);
  });

  test("groups are kept once (emails case-insensitively, ids exactly) and at most 50 are accepted", () => {
    const email = ws.groupEmails.nestedRoot;
    const copies = Array.from({ length: 50 }, (_, i) =>
      i % 3 === 0 ? email : i % 3 === 1 ? ` ${email.toUpperCase()} ` : ws.groups.sample,
    );
    expect(settings({ groups: copies }).groups).toEqual([email, ws.groups.sample]);
    // Ids are case-sensitive: two ids differing in case are two groups.
    expect(settings({ groups: ["03abc", "03ABC", "03abc"] }).groups).toEqual(["03abc", "03ABC"]);
    expect(settings({ orgUnits: ["/Sales", "/Sales/", "/Sales"] }).orgUnits).toEqual(["/Sales"]);
    const tooMany = connector.settings.safeParse({
      adminEmail: ws.adminEmail,
      groups: Array.from({ length: 51 }, () => email),
    });
    expect(tooMany.error?.issues.map((issue) => [issue.path.join("."), issue.message])).toEqual([
      ["groups", "At most 50 groups can be selected."],
    ]);
  });

  test("alias templates take Google's fields and custom schema fields, and nothing else", () => {
    expect(
      settings({ aliasTemplate: "%name.givenName%.%name.familyName%;%HR.EmployeeNumber%" })
        .aliasTemplate,
    ).toBeString();
    const bad = connector.settings.safeParse({
      adminEmail: ws.adminEmail,
      aliasTemplate: "%shoeSize%;%name.nickname%",
    });
    expect(bad.error?.issues[0]?.message).toBe("Unknown alias fields: shoeSize, name.nickname");
  });
});

describe("connect, with the real libraries against the simulator", () => {
  test("succeeds with a delegated administrator, groups and org units that exist", async () => {
    const result = await connector.connect({
      settings: settings({
        groups: [ws.groupEmails.nestedRoot, ws.groups.sample],
        users: "orgUnits",
        orgUnits: ["/Sales", "/Engineering"],
      }),
      secret: secretOf(),
      log,
    });
    expect(result).toEqual({ ok: true });
  });

  test("a key Google did not issue (signature) is invalid_secret", async () => {
    const result = await connector.connect({
      settings: settings(),
      secret: secretOf(JSON.stringify(withForeignKey(ws.serviceAccountKey))),
      log,
    });
    expect(result).toMatchObject({ ok: false, code: "invalid_secret" });
    if (!result.ok) expect(result.message).toContain("Invalid JWT Signature.");
  });

  test("a deleted service account is invalid_secret", async () => {
    const other = new SimGoogle();
    const orphan = createServiceAccount(other, { projectId: "elsewhere", clientId: "1234567890" });
    const result = await connector.connect({
      settings: settings(),
      secret: secretOf(JSON.stringify(orphan)),
      log,
    });
    expect(result).toMatchObject({ ok: false, code: "invalid_secret" });
  });

  test("delegation not granted for every scope is missing_permission, naming the scopes to grant", async () => {
    const granted = model.delegations.get(ws.serviceAccountKey.client_id) ?? [];
    model.delegations.set(ws.serviceAccountKey.client_id, granted.slice(0, 1));
    try {
      const result = await connector.connect({ settings: settings(), secret: secretOf(), log });
      expect(result).toMatchObject({
        ok: false,
        code: "missing_permission",
        details: { clientId: ws.serviceAccountKey.client_id, scopes: [...DIRECTORY_SCOPES] },
      });
      if (!result.ok) expect(result.message).toContain(DIRECTORY_SCOPES.join(","));
    } finally {
      model.delegations.set(ws.serviceAccountKey.client_id, granted);
    }
    expect([...DIRECTORY_SCOPES]).toEqual([...SIM_SCOPES]);
  });

  test("an administrator the Workspace does not have is admin_not_found", async () => {
    const result = await connector.connect({
      settings: settings({ adminEmail: `nobody@${ws.domain}` }),
      secret: secretOf(),
      log,
    });
    expect(result).toMatchObject({
      ok: false,
      code: "admin_not_found",
      details: { adminEmail: `nobody@${ws.domain}` },
    });
  });

  test("a user who is not an administrator is missing_permission", async () => {
    const result = await connector.connect({
      settings: settings({ adminEmail: ws.nonAdminEmail }),
      secret: secretOf(),
      log,
    });
    expect(result).toMatchObject({ ok: false, code: "missing_permission" });
    if (!result.ok) expect(result.message).toContain("administrator");
  });

  test("a customer id that is not the administrator's Workspace is unknown_directory", async () => {
    const result = await connector.connect({
      settings: settings({ customerId: "C0nothere" }),
      secret: secretOf(),
      log,
    });
    expect(result).toMatchObject({ ok: false, code: "unknown_directory" });
  });

  test("unknown groups and org units are group_not_found, each named", async () => {
    const result = await connector.connect({
      settings: settings({
        users: "orgUnits",
        orgUnits: ["/Sales", "/Nowhere"],
        groups: [ws.groupEmails.sample, `nope@${ws.domain}`],
      }),
      secret: secretOf(),
      log,
    });
    expect(result).toMatchObject({
      ok: false,
      code: "group_not_found",
      details: { ids: [`nope@${ws.domain}`], orgUnits: ["/Nowhere"] },
    });
  });

  test("an unreachable Google is directory_unreachable, for the token host and the API host", async () => {
    for (const hosts of [
      { tokenUrl: "https://localhost:9/token", directoryUrl: sim.directoryUrl },
      { tokenUrl: sim.tokenUrl, directoryUrl: "https://localhost:9/" },
    ]) {
      const offline = googleWorkspace({ ...hosts, transientRetry: { retries: 0, delayMs: 1 } });
      const result = await offline.connect({ settings: settings(), secret: secretOf(), log });
      expect(result).toMatchObject({ ok: false, code: "directory_unreachable" });
    }
  });

  test("the sign-in OAuth client is checked: a wrong or missing secret is invalid_secret", async () => {
    const withClient = settings({ signInClientId: ws.oauthClient.clientId });
    const envelope = (signInClientSecret?: string) =>
      secretOf(JSON.stringify({ serviceAccountKey: ws.serviceAccountKey, signInClientSecret }));
    expect(
      await connector.connect({
        settings: withClient,
        secret: envelope(ws.oauthClient.clientSecret),
        log,
      }),
    ).toEqual({ ok: true });
    expect(
      await connector.connect({ settings: withClient, secret: envelope("GOCSPX-wrong"), log }),
    ).toMatchObject({ ok: false, code: "invalid_secret" });
    expect(
      await connector.connect({ settings: withClient, secret: envelope(), log }),
    ).toMatchObject({ ok: false, code: "invalid_secret" });
  });
});

describe("reads", () => {
  test("every user in pages of 500; suspended and archived users are disabled; names may be missing", async () => {
    const pages = await readAll({ settings: settings(), fields: ["primaryEmail", "orgUnitPath"] });
    expect(pages.map((page) => page.length)).toEqual([500, 500, model.users.size - 1000]);
    const users = new Map(pages.flat().map((user) => [user.externalId, user]));
    expect(users.size).toBe(model.users.size);
    expect(users.get(ws.edgeCases.suspended)?.enabled).toBe(false);
    expect(users.get(ws.edgeCases.archived)?.enabled).toBe(false);
    expect(users.get(ws.edgeCases.noNames)).toMatchObject({
      enabled: true,
      givenName: null,
      surname: null,
      displayName: null,
    });
    expect([...users.values()].filter((user) => !user.enabled)).toHaveLength(2);
    const jo = users.get(ws.edgeCases.withAliasAndCustomFields);
    expect(jo).toMatchObject({
      givenName: "Jo",
      surname: "Extras",
      displayName: "Jo Extras",
      email: `jo.extras@${ws.domain}`,
    });
    expect(jo?.attributes).toEqual({
      primaryEmail: `jo.extras@${ws.domain}`,
      orgUnitPath: "/Engineering/Platform",
    });
  });

  test("alias fields: external id, first alias, department, and custom schema fields through projection=full", async () => {
    const template = "%externalIds%;%aliases%;%organizations.department%;%hr.employeenumber%";
    const fields = ["externalIds", "aliases", "organizations.department"];
    const pages = await readAll({ settings: settings({ aliasTemplate: template }), fields });
    const jo = pages
      .flat()
      .find((user) => user.externalId === ws.edgeCases.withAliasAndCustomFields);
    expect(jo?.attributes).toEqual({
      externalIds: "E99999",
      aliases: `jo@alias.${ws.domain}`,
      "organizations.department": "R&D",
      "hr.employeenumber": "12345",
    });
    // Without a custom field the basic projection is asked for: no custom schema values.
    const basic = await readAll({ settings: settings(), fields: ["primaryEmail"] });
    expect(basic.flat().find((user) => user.externalId === jo?.externalId)?.attributes).toEqual({
      primaryEmail: `jo.extras@${ws.domain}`,
    });
  });

  test("org units include their sub-units, and a user is returned once across overlapping units", async () => {
    const inSales = [...model.users.values()]
      .filter((user) => user.orgUnitPath === "/Sales" || user.orgUnitPath.startsWith("/Sales/"))
      .map((user) => user.id);
    expect(inSales.some((id) => model.users.get(id)?.orgUnitPath === "/Sales/EMEA")).toBe(true);
    const ids = idsOf(
      await readAll({
        settings: settings({ users: "orgUnits", orgUnits: ["/Sales/EMEA", "/Sales"] }),
      }),
    );
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(inSales));
  });

  test("selected groups: nested groups expanded by Roster, the cycle read once, customer and external members skipped with a warning", async () => {
    const recorder = recordingLog();
    sim.resetCounts();
    const ids = idsOf(
      await readAll(
        { settings: settings({ users: "selectedGroups", groups: [ws.groupEmails.nestedRoot] }) },
        recorder.log,
      ),
    );
    const expected = expectedMembers(model, ws.groups.nestedRoot);
    expect(ids.length).toBe(new Set(ids).size);
    expect(new Set(ids)).toEqual(new Set(expected));
    // root → child → grandchild → root: three groups, each listed once (200 members a page).
    const pages = [ws.groups.nestedRoot, ws.groups.nestedChild, ws.groups.nestedGrandchild]
      .map((id) => Math.ceil((model.groups.get(id)?.members.length ?? 0) / 200))
      .reduce((sum, count) => sum + count, 0);
    expect(sim.counts.byRoute["/admin/directory/v1/groups/:key/members"]).toBe(pages);
    const warning = recorder.entries.find((entry) => entry.message.includes("skipped"));
    expect(warning?.fields).toEqual({
      group: ws.groups.nestedRoot,
      skipped: { EXTERNAL: 1, CUSTOMER: 1 },
    });
  });

  test("readGroups names each group and lists its transitive members once", async () => {
    const [group] = await connector.readGroups({ settings: settings(), secret: secretOf(), log }, [
      ws.groupEmails.nestedRoot,
    ]);
    expect(group?.externalId).toBe(ws.groups.nestedRoot);
    expect(group?.name).toBe("All staff");
    expect(new Set(group?.memberIds)).toEqual(
      new Set(expectedMembers(model, ws.groups.nestedRoot)),
    );
    expect(group?.memberIds.length).toBe(new Set(group?.memberIds).size);
  });

  test("readGroups on groups nested in a cycle: each group's transitive members once, and it ends", async () => {
    // root ⊃ child ⊃ grandchild ⊃ root, plus a two-group cycle made here: a ⊃ b ⊃ a.
    const a = { id: "0cyclea0000000a", email: `cycle-a@${ws.domain}` };
    const b = { id: "0cycleb0000000b", email: `cycle-b@${ws.domain}` };
    const users = [...model.users.values()].filter((user) => !user.suspended).slice(0, 4);
    const member = (user: (typeof users)[number]) => ({
      id: user.id,
      email: user.primaryEmail,
      role: "MEMBER" as const,
      type: "USER" as const,
    });
    const group = (id: string, email: string) => ({
      id,
      email,
      role: "MEMBER" as const,
      type: "GROUP" as const,
    });
    model.addGroup({
      ...a,
      name: "Cycle A",
      description: "",
      members: [...users.slice(0, 2).map(member), group(b.id, b.email)],
    });
    model.addGroup({
      ...b,
      name: "Cycle B",
      description: "",
      // A user of both groups, and A again.
      members: [...users.slice(1, 4).map(member), group(a.id, a.email)],
    });
    try {
      sim.resetCounts();
      const keys = [
        ws.groups.nestedChild,
        ws.groups.nestedGrandchild,
        ws.groupEmails.nestedRoot,
        a.email,
        b.id,
      ];
      const groups = await connector.readGroups(
        { settings: settings(), secret: secretOf(), log },
        keys,
      );
      expect(groups.map((g) => g.externalId)).toEqual([
        ws.groups.nestedChild,
        ws.groups.nestedGrandchild,
        ws.groups.nestedRoot,
        a.id,
        b.id,
      ]);
      // Every group of a cycle reaches every other: each holds the cycle's users, once.
      const cycle = new Set(expectedMembers(model, ws.groups.nestedRoot));
      for (const g of groups.slice(0, 3)) {
        expect(g.memberIds.length).toBe(new Set(g.memberIds).size);
        expect(new Set(g.memberIds)).toEqual(cycle);
      }
      const pair = new Set(users.map((user) => user.id));
      for (const g of groups.slice(3)) {
        expect(g.memberIds.length).toBe(pair.size);
        expect(new Set(g.memberIds)).toEqual(pair);
      }
      // Each group's walk lists each group of its cycle once: 3 × 3 + 2 × 2 member lists.
      const pagesOf = (id: string) => Math.ceil((model.groups.get(id)?.members.length ?? 0) / 200);
      const bigCycle = [ws.groups.nestedRoot, ws.groups.nestedChild, ws.groups.nestedGrandchild]
        .map(pagesOf)
        .reduce((sum, count) => sum + count, 0);
      expect(sim.counts.byRoute["/admin/directory/v1/groups/:key/members"]).toBe(
        3 * bigCycle + 2 * 2,
      );
    } finally {
      model.groups.delete(a.id);
      model.groups.delete(b.id);
    }
  });

  test("a group deleted after connect ends the read as group_not_found", async () => {
    const read = readAll({
      settings: settings({ users: "selectedGroups", groups: [`gone@${ws.domain}`] }),
    });
    await expect(read).rejects.toMatchObject({ code: "group_not_found" });
  });

  test("403 userRateLimitExceeded and quotaExceeded are ridden out with backoff", async () => {
    sim.resetCounts();
    sim.setFaults({ rateLimit: { count: 3, reason: "userRateLimitExceeded" } });
    const first = idsOf(await readAll({ settings: settings() }));
    sim.setFaults({ rateLimitEvery: { every: 2, reason: "quotaExceeded" } });
    const second = idsOf(
      await readAll({
        settings: settings({ users: "selectedGroups", groups: [ws.groups.sample] }),
      }),
    );
    sim.setFaults({});
    expect(new Set(first).size).toBe(model.users.size);
    expect(new Set(second)).toEqual(new Set(expectedMembers(model, ws.groups.sample)));
    expect(sim.counts.rateLimited).toBeGreaterThanOrEqual(5);
  });

  test("rate limits that never stop end the read as throttled, not as an empty directory", async () => {
    sim.setFaults({ rateLimitEvery: { every: 1 } });
    try {
      const read = readAll({ settings: settings() });
      await expect(read).rejects.toBeInstanceOf(ConnectorError);
      await expect(read).rejects.toMatchObject({ code: "throttled" });
    } finally {
      sim.setFaults({});
    }
  });
});

describe("Sign in with Google, through openid-client against the simulator", () => {
  const signInSettings = () => settings({ signInClientId: ws.oauthClient.clientId });
  const provider = () => {
    if (!connector.signInProvider) throw new Error("no sign-in provider");
    return connector.signInProvider;
  };
  const envelope = () =>
    secretOf(
      JSON.stringify({
        serviceAccountKey: ws.serviceAccountKey,
        signInClientSecret: ws.oauthClient.clientSecret,
      }),
    );

  /** The whole code flow: discovery, the picker, the code exchange with PKCE, the signature. */
  async function signInAs(email: string) {
    const client = provider().oidcClient(signInSettings(), envelope());
    if (!client) throw new Error("no OIDC client");
    const config = await oidc.discovery(
      new URL(client.issuer),
      client.clientId,
      client.clientSecret,
    );
    oidc.enableNonRepudiationChecks(config);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "openid email profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
      state,
      nonce,
      login_hint: email,
    });
    const page = await (await fetch(authorize)).text();
    const request = /name="request" value="([^"]+)"/.exec(page)?.[1] ?? "";
    const chosen = await fetch(new URL("/o/oauth2/v2/auth/choose", authorize), {
      method: "POST",
      body: new URLSearchParams({ request, account: email }),
      redirect: "manual",
    });
    const location = chosen.headers.get("location");
    if (!location) throw new Error(`no redirect: ${chosen.status} ${await chosen.text()}`);
    const tokens = await oidc.authorizationCodeGrant(config, new URL(location), {
      pkceCodeVerifier: verifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    });
    return (tokens.claims() ?? {}) as Record<string, unknown>;
  }

  test("the OIDC client comes from the settings and the secret; without both, no provider", () => {
    expect(provider().oidcClient(signInSettings(), envelope())).toEqual({
      issuer: sim.issuerUrl,
      clientId: ws.oauthClient.clientId,
      clientSecret: ws.oauthClient.clientSecret,
    });
    expect(provider().oidcClient(settings(), envelope())).toBeNull();
    expect(provider().oidcClient(signInSettings(), secretOf())).toBeNull();
  });

  test("a synced user is accepted: sub is the Directory id, hd the Workspace's, email verified", async () => {
    const member = model.findUser(`jo.extras@${ws.domain}`);
    const claims = await signInAs(`jo.extras@${ws.domain}`);
    expect(claims).toMatchObject({
      sub: member?.id,
      hd: ws.domain,
      email_verified: true,
      aud: ws.oauthClient.clientId,
    });
    const result = provider().identify(claims, signInSettings());
    expect(result).toEqual({ ok: true, externalId: member?.id as string });
    const synced = idsOf(await readAll({ settings: signInSettings() }));
    expect(synced).toContain(member?.id as string);
  });

  test("an account of another Workspace (wrong hd) is refused as sso_wrong_directory", async () => {
    const other = generateWorkspace(google, { users: 3, seed: 9, domain: "other.test" });
    const client = model.oauthClients.get(ws.oauthClient.clientId);
    if (!client) throw new Error("no client");
    client.internal = false; // an External client lets outside accounts through; Roster must not
    try {
      const claims = await signInAs(other.adminEmail);
      expect(claims.hd).toBe("other.test");
      expect(provider().identify(claims, signInSettings())).toMatchObject({
        ok: false,
        code: "sso_wrong_directory",
      });
      google.consumers.set("c1", {
        sub: "1999",
        email: "someone@gmail.test",
        emailVerified: true,
        name: "Some One",
      });
      const personal = await signInAs("someone@gmail.test");
      expect(personal.hd).toBeUndefined();
      expect(provider().identify(personal, signInSettings())).toMatchObject({
        ok: false,
        code: "sso_wrong_directory",
      });
    } finally {
      client.internal = true;
    }
  });

  test("an unverified email is refused as sso_invalid_token", async () => {
    const user = model.findUser(`helpdesk@${ws.domain}`);
    if (!user) throw new Error("no user");
    user.emailVerified = false;
    try {
      const claims = await signInAs(user.primaryEmail);
      expect(claims.email_verified).toBe(false);
      expect(provider().identify(claims, signInSettings())).toMatchObject({
        ok: false,
        code: "sso_invalid_token",
      });
    } finally {
      user.emailVerified = undefined;
    }
  });

  test("an unsynced sub names no synced user: identify gives its id, which the sync never returned", async () => {
    const scoped = settings({
      signInClientId: ws.oauthClient.clientId,
      users: "orgUnits",
      orgUnits: ["/Sales"],
    });
    const outside = [...model.users.values()].find(
      (user) => user.orgUnitPath === "/Engineering" && !user.suspended && !user.archived,
    );
    const claims = await signInAs(outside?.primaryEmail ?? "");
    const result = provider().identify(claims, scoped);
    expect(result).toEqual({ ok: true, externalId: outside?.id as string });
    expect(idsOf(await readAll({ settings: scoped }))).not.toContain(outside?.id as string);
  });

  test("claims from another issuer or for another client are sso_invalid_token", () => {
    const good = {
      iss: sim.issuerUrl,
      aud: ws.oauthClient.clientId,
      sub: "1",
      hd: ws.domain,
      email_verified: true,
    };
    expect(provider().identify(good, signInSettings())).toEqual({ ok: true, externalId: "1" });
    for (const claims of [
      { ...good, iss: "https://accounts.google.com" },
      { ...good, aud: "someone-else.apps.googleusercontent.com" },
      { ...good, sub: 42 },
    ]) {
      expect(provider().identify(claims, signInSettings())).toMatchObject({
        ok: false,
        code: "sso_invalid_token",
      });
    }
    expect(
      provider().identify(
        { ...good, hd: "ALIAS.EXAMPLE.TEST" },
        settings({
          signInClientId: ws.oauthClient.clientId,
          signInDomains: ["alias.example.test"],
        }),
      ),
    ).toEqual({ ok: true, externalId: "1" });
  });

  test("the simulator refuses a wrong PKCE verifier, as Google does", async () => {
    const client = provider().oidcClient(signInSettings(), envelope());
    if (!client) throw new Error("no client");
    const config = await oidc.discovery(
      new URL(client.issuer),
      client.clientId,
      client.clientSecret,
    );
    const state = oidc.randomState();
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: "openid email",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
      state,
    });
    const request =
      /name="request" value="([^"]+)"/.exec(await (await fetch(authorize)).text())?.[1] ?? "";
    const chosen = await fetch(new URL("/o/oauth2/v2/auth/choose", authorize), {
      method: "POST",
      body: new URLSearchParams({ request, account: ws.adminEmail }),
      redirect: "manual",
    });
    const grant = oidc.authorizationCodeGrant(
      config,
      new URL(chosen.headers.get("location") ?? ""),
      {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: state,
      },
    );
    await expect(grant).rejects.toMatchObject({
      error: "invalid_grant",
      error_description: "Invalid code verifier.",
    });
  });
});
