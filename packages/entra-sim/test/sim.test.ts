import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientSecretCredential } from "@azure/identity";
import { Client, type GraphError, PageIterator } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import {
  blankUser,
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  startEntraSim,
} from "../src/index.ts";

let sim: EntraSim;
let tenant: GeneratedTenant;
const USERS = 250;

beforeAll(async () => {
  const directory = new SimDirectory();
  tenant = generateTenant(directory, { users: USERS, seed: 7 });
  sim = await startEntraSim({ directory });
});
afterAll(() => sim.stop());

const credential = (overrides: { tenantId?: string; clientId?: string; secret?: string } = {}) =>
  new ClientSecretCredential(
    overrides.tenantId ?? tenant.tenantId,
    overrides.clientId ?? tenant.clientId,
    overrides.secret ?? tenant.secret,
    { authorityHost: sim.url, disableInstanceDiscovery: true },
  );

const graph = (options: { customHosts?: boolean; secret?: string } = {}) =>
  Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(
      credential({ secret: options.secret }),
      {
        scopes: ["https://graph.microsoft.com/.default"],
      },
    ),
    baseUrl: sim.url,
    customHosts: options.customHosts === false ? new Set() : new Set(["localhost"]),
  });

const rawGraph = (path: string, token?: string) =>
  fetch(`${sim.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("sign-in host", () => {
  test("issues a token for valid client credentials", async () => {
    const token = await credential().getToken("https://graph.microsoft.com/.default");
    expect(token.token.split(".")).toHaveLength(3);
    expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
  });

  test.each([
    ["wrong secret", { secret: "nope" }, "7000215", "AuthenticationRequiredError"],
    [
      "unknown application",
      { clientId: "00000000-0000-4000-8000-000000000001" },
      "700016",
      "AuthenticationRequiredError",
    ],
    [
      "unknown directory",
      { tenantId: "00000000-0000-4000-8000-000000000002" },
      "endpoints_resolution_error",
      "CredentialUnavailableError",
    ],
  ])(
    "%s surfaces as the SDK reports it against Entra",
    async (_name, overrides, text, className) => {
      const error = await credential(overrides)
        .getToken("https://graph.microsoft.com/.default")
        .catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).name).toBe(className);
      expect((error as Error).message).toContain(text);
    },
  );

  test("an expired secret is refused with AADSTS7000222", async () => {
    const app = sim.directory.find(tenant.tenantId)?.apps.get(tenant.clientId);
    app?.secrets.push({ value: "old-secret", expiresAt: new Date(Date.now() - 1000) });
    const error = await credential({ secret: "old-secret" })
      .getToken("https://graph.microsoft.com/.default")
      .catch((e: Error) => e);
    expect((error as Error).message).toContain("AADSTS7000222");
  });

  test("the token endpoint answers in Microsoft's error shape", async () => {
    const response = await fetch(`${sim.url}/${tenant.tenantId}/oauth2/v2.0/token`, {
      method: "POST",
      body: new URLSearchParams({
        grant_type: "client_credentials",
        client_id: tenant.clientId,
        client_secret: "x",
        scope: "https://graph.microsoft.com/User.Read.All",
      }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: "invalid_scope", error_codes: [1002012] });
    expect(String(body.error_description)).toMatch(/^AADSTS1002012: .*\r\nTrace ID: /s);
    expect(body.timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  });

  test("an unknown tenant's discovery document is a 400 AADSTS90002", async () => {
    const response = await fetch(
      `${sim.url}/contoso.invalid/v2.0/.well-known/openid-configuration`,
    );
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_tenant", error_codes: [90002] });
  });
});

describe("Graph", () => {
  test("without customHosts the SDK sends no token and Graph answers 401", async () => {
    const error = (await graph({ customHosts: false })
      .api("/users")
      .get()
      .catch((e) => e)) as GraphError;
    expect(error.statusCode).toBe(401);
    expect(error.code).toBe("InvalidAuthenticationToken");
    expect(error.message).toBe("Access token is empty.");
  });

  test("a garbage token is refused", async () => {
    const response = await rawGraph("/v1.0/users", "not-a-token");
    expect(response.status).toBe(401);
    const body = (await response.json()) as {
      error: { code: string; innerError: Record<string, string> };
    };
    expect(body.error.code).toBe("InvalidAuthenticationToken");
    expect(body.error.innerError.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    expect(response.headers.get("request-id")).toBe(body.error.innerError["request-id"] ?? null);
  });

  test("without $select only the default properties come back", async () => {
    const page = await graph().api("/users").top(1).get();
    expect(Object.keys(page.value[0]).sort()).toEqual(
      [
        "businessPhones",
        "displayName",
        "givenName",
        "id",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
      ].sort(),
    );
    expect(page["@odata.context"]).toStartWith(`${sim.url}/v1.0/$metadata#users`);
  });

  test("$select names properties case-insensitively; unknown ones are a 400", async () => {
    const page = await graph()
      .api("/users")
      .select("ID,accountenabled,onPremisesSamAccountName")
      .top(1)
      .get();
    expect(Object.keys(page.value[0])).toEqual([
      "id",
      "accountEnabled",
      "onPremisesSamAccountName",
    ]);
    const error = (await graph()
      .api("/users")
      .select("shoeSize")
      .get()
      .catch((e) => e)) as GraphError;
    expect(error.statusCode).toBe(400);
    expect(error.message).toContain("shoeSize");
  });

  test("$top is limited to 1–999", async () => {
    const error = (await graph()
      .api("/users")
      .top(1000)
      .get()
      .catch((e) => e)) as GraphError;
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe("Request_UnsupportedQuery");
  });

  test("paging with the SDK's PageIterator returns every user once", async () => {
    const client = graph();
    const ids: string[] = [];
    const first = await client.api("/users").select("id").top(40).get();
    expect(first["@odata.nextLink"]).toContain("$skiptoken=");
    await new PageIterator(client, first, (user: { id: string }) => {
      ids.push(user.id);
      return true;
    }).iterate();
    expect(ids).toHaveLength(USERS + 10);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("$filter=accountEnabled eq true leaves disabled accounts out", async () => {
    const page = await graph().api("/users").filter("accountEnabled eq false").select("id").get();
    expect(page.value.map((user: { id: string }) => user.id)).toEqual([tenant.edgeCases.disabled]);
    const error = (await graph()
      .api("/users")
      .filter("accountEnabled ne true")
      .get()
      .catch((e) => e)) as GraphError;
    expect(error.code).toBe("Request_UnsupportedQuery");
  });

  test("a user by id or by UPN; an unknown one is Request_ResourceNotFound", async () => {
    const byId = await graph().api(`/users/${tenant.edgeCases.noMailUsesUpn}`).get();
    expect(byId.userPrincipalName).toBe(`no.mailbox@${tenant.domain}`);
    const byUpn = await graph()
      .api(`/users/${encodeURIComponent(`no.mailbox@${tenant.domain}`)}`)
      .get();
    expect(byUpn.id).toBe(tenant.edgeCases.noMailUsesUpn);
    const error = (await graph()
      .api("/users/00000000-0000-4000-8000-000000000000")
      .get()
      .catch((e) => e)) as GraphError;
    expect([error.statusCode, error.code]).toEqual([404, "Request_ResourceNotFound"]);
  });

  test("groups: a non-GUID id is a 400, an unknown one a 404", async () => {
    const bad = (await graph()
      .api("/groups/sales")
      .get()
      .catch((e) => e)) as GraphError;
    expect([bad.statusCode, bad.code]).toEqual([400, "Request_BadRequest"]);
    const missing = (await graph()
      .api("/groups/00000000-0000-4000-8000-000000000000")
      .get()
      .catch((e) => e)) as GraphError;
    expect([missing.statusCode, missing.code]).toEqual([404, "Request_ResourceNotFound"]);
  });

  test("transitive members expand nested groups, tolerate the cycle and list each user once", async () => {
    const client = graph();
    const ids: string[] = [];
    const first = await client
      .api(`/groups/${tenant.groups.nestedChild}/transitiveMembers/microsoft.graph.user`)
      .header("ConsistencyLevel", "eventual")
      .query({ $count: "true" })
      .select("id,displayName")
      .top(999)
      .get();
    await new PageIterator(client, first, (user: { id: string }) => {
      ids.push(user.id);
      return true;
    }).iterate();
    // child ⊃ grandchild ⊃ root (cycle) ⊃ child: every user of the tenant, once.
    expect(new Set(ids).size).toBe(USERS + 10);
    expect(first["@odata.count"]).toBe(USERS + 10);
  });

  test("direct members mark each item's type", async () => {
    const page = await graph().api(`/groups/${tenant.groups.nestedRoot}/members`).top(999).get();
    const types = new Set(page.value.map((item: Record<string, string>) => item["@odata.type"]));
    expect(types).toEqual(new Set(["#microsoft.graph.user", "#microsoft.graph.group"]));
  });

  test("a missing permission is a 403 Authorization_RequestDenied", async () => {
    const app = sim.directory.find(tenant.tenantId)?.apps.get(tenant.clientId);
    const roles = app?.roles ?? [];
    if (app) app.roles = ["GroupMember.Read.All"];
    try {
      const error = (await graph({ secret: tenant.secret })
        .api("/users")
        .get()
        .catch((e) => e)) as GraphError;
      expect([error.statusCode, error.code]).toEqual([403, "Authorization_RequestDenied"]);
    } finally {
      if (app) app.roles = roles;
    }
  });

  test("throttling answers 429 with Retry-After, and the SDK retries", async () => {
    sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 } });
    const before = sim.counts.throttled;
    const page = await graph().api("/users").top(1).get();
    expect(page.value).toHaveLength(1);
    expect(sim.counts.throttled).toBe(before + 1);
    sim.setFaults({});
  });
});

describe("scale", () => {
  test("pages through 10,000 users with the SDK, 999 at a time", async () => {
    const directory = new SimDirectory();
    const big = generateTenant(directory, { users: 10_000, seed: 99 });
    const bigSim = await startEntraSim({ directory });
    try {
      const client = Client.initWithMiddleware({
        authProvider: new TokenCredentialAuthenticationProvider(
          new ClientSecretCredential(big.tenantId, big.clientId, big.secret, {
            authorityHost: bigSim.url,
            disableInstanceDiscovery: true,
          }),
          { scopes: ["https://graph.microsoft.com/.default"] },
        ),
        baseUrl: bigSim.url,
        customHosts: new Set(["localhost"]),
      });
      const ids = new Set<string>();
      const first = await client.api("/users").select("id,accountEnabled").top(999).get();
      await new PageIterator(client, first, (user: { id: string }) => {
        ids.add(user.id);
        return true;
      }).iterate();
      expect(ids.size).toBe(10_010);
      expect(bigSim.counts.byRoute["/v1.0/users"]).toBe(11);
    } finally {
      await bigSim.stop();
    }
  });
});

describe("delta", () => {
  test("a full round, then only changes and removals", async () => {
    const client = graph();
    const directoryTenant = sim.directory.find(tenant.tenantId);
    let page = await client.api("/users/delta").select("id,displayName,accountEnabled").get();
    let seen = 0;
    while (page["@odata.nextLink"]) {
      seen += page.value.length;
      expect(page["@odata.nextLink"]).not.toContain("$select");
      page = await client.api(page["@odata.nextLink"]).get();
    }
    seen += page.value.length;
    expect(seen).toBe(USERS + 10);
    const deltaLink: string = page["@odata.deltaLink"];

    const changedId = tenant.edgeCases.displayNameSingle;
    const user = directoryTenant?.getUser(changedId);
    if (user) directoryTenant?.upsertUser({ ...user, displayName: "Cher Sarkisian" });
    directoryTenant?.deleteUser(tenant.edgeCases.guestWithoutMail);
    const added = {
      ...blankUser("ffffffff-0000-4000-8000-000000000001", "new.hire@contoso.example"),
      displayName: "New Hire",
    };
    directoryTenant?.upsertUser(added);

    const changes = await client.api(deltaLink).get();
    expect(changes.value).toEqual([
      { id: changedId, displayName: "Cher Sarkisian", accountEnabled: true },
      { id: added.id, displayName: "New Hire", accountEnabled: true },
      { id: tenant.edgeCases.guestWithoutMail, "@removed": { reason: "changed" } },
    ]);
    expect(changes["@odata.deltaLink"]).toBeString();
  });

  test("an unknown delta token is 400 syncStateNotFound", async () => {
    const error = (await graph()
      .api("/users/delta?$deltatoken=garbage")
      .get()
      .catch((e) => e)) as GraphError;
    expect([error.statusCode, error.code]).toEqual([400, "syncStateNotFound"]);
  });
});

describe("group search and membership checks", () => {
  test("$search on groups needs ConsistencyLevel: eventual and a quoted clause", async () => {
    const refused = (await graph()
      .api(`/groups?$search=${encodeURIComponent('"displayName:pilot"')}`)
      .get()
      .catch((error: GraphError) => error)) as GraphError;
    expect(refused.statusCode).toBe(400);
    expect(refused.code).toBe("Request_UnsupportedQuery");
    const unquoted = (await graph()
      .api("/groups?$search=displayName:pilot")
      .header("ConsistencyLevel", "eventual")
      .get()
      .catch((error: GraphError) => error)) as GraphError;
    expect(unquoted.statusCode).toBe(400);
    const found = await graph()
      .api(`/groups?$search=${encodeURIComponent('"displayName:pil"')}&$select=id,displayName`)
      .header("ConsistencyLevel", "eventual")
      .get();
    expect(found.value.map((group: { id: string }) => group.id)).toEqual([tenant.groups.sample]);
  });

  test("checkMemberGroups answers nested membership, at most 20 ids", async () => {
    const directory = sim.directory.find(tenant.tenantId);
    const deep = directory?.groups
      .get(tenant.groups.nestedGrandchild)
      ?.memberIds.find((id) => directory.getUser(id)) as string;
    const answer = await graph()
      .api(`/users/${deep}/checkMemberGroups`)
      .post({ groupIds: [tenant.groups.nestedRoot, tenant.groups.sample] });
    expect(answer.value).toContain(tenant.groups.nestedRoot);
    const tooMany = (await graph()
      .api(`/users/${deep}/checkMemberGroups`)
      .post({ groupIds: Array.from({ length: 21 }, () => tenant.groups.sample) })
      .catch((error: GraphError) => error)) as GraphError;
    expect(tooMany.statusCode).toBe(400);
  });
});
