import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ClientSecretCredential } from "@azure/identity";
import { Client, type GraphError } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";
import {
  blankUser,
  churnDay,
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  type SimTenant,
  startEntraSim,
} from "../src/index.ts";

let sim: EntraSim;
let tenant: GeneratedTenant;
let directoryTenant: SimTenant;
let client: Client;
const USERS = 150;
const DAY = 24 * 3600 * 1000;
const CONTROL = "control-token";

beforeAll(async () => {
  const directory = new SimDirectory();
  tenant = generateTenant(directory, { users: USERS, seed: 5 });
  directoryTenant = directory.find(tenant.tenantId) as SimTenant;
  sim = await startEntraSim({ directory, controlToken: CONTROL });
  client = Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(
      new ClientSecretCredential(tenant.tenantId, tenant.clientId, tenant.secret, {
        authorityHost: sim.url,
        disableInstanceDiscovery: true,
      }),
      { scopes: ["https://graph.microsoft.com/.default"] },
    ),
    baseUrl: sim.url,
    customHosts: new Set(["localhost"]),
  });
});
afterAll(() => sim.stop());

type Page = {
  value: Record<string, unknown>[];
  "@odata.nextLink"?: string;
  "@odata.deltaLink"?: string;
};

/** Follows a round to its deltaLink, checking that later links carry only the token. */
async function round(first: string) {
  const pages: Page[] = [];
  let page = (await client.api(first).get()) as Page;
  pages.push(page);
  while (page["@odata.nextLink"]) {
    expect(page["@odata.deltaLink"]).toBeUndefined();
    expect(page["@odata.nextLink"]).toMatch(/\/delta\?\$skiptoken=[\w-]+$/);
    page = (await client.api(page["@odata.nextLink"]).get()) as Page;
    pages.push(page);
  }
  const deltaLink = page["@odata.deltaLink"] as string;
  expect(deltaLink).toMatch(/\/delta\?\$deltatoken=[\w-]+$/);
  return { items: pages.flatMap((p) => p.value), pages, deltaLink };
}

const latest = async (select = "id,displayName,surname,department,accountEnabled") =>
  (await round(`/users/delta?$select=${select}&$deltatoken=latest`)).deltaLink;

describe("users/delta", () => {
  test("$deltatoken=latest: no objects, a deltaLink that sees later changes with the original $select", async () => {
    const first = await round("/users/delta?$select=id,surname&$deltatoken=latest");
    expect(first.items).toEqual([]);
    expect(first.pages).toHaveLength(1);
    const user = directoryTenant.sortedUsers()[3];
    if (!user) throw new Error("fixture");
    directoryTenant.upsertUser({ ...user, surname: "Latest" });
    const changes = await round(first.deltaLink);
    expect(changes.items).toEqual([{ id: user.id, surname: "Latest" }]);
  });

  test("properties never set are omitted; a cleared one comes back as null", async () => {
    const link = await latest();
    const id = "dddddddd-0000-4000-8000-000000000001";
    directoryTenant.upsertUser({ ...blankUser(id, "bare@contoso.example"), department: "Sales" });
    let changes = await round(link);
    expect(changes.items).toEqual([{ id, department: "Sales", accountEnabled: true }]);
    const user = directoryTenant.getUser(id);
    if (!user) throw new Error("fixture");
    directoryTenant.upsertUser({ ...user, department: null, surname: "Bare" });
    changes = await round(changes.deltaLink);
    expect(changes.items).toEqual([
      { id, surname: "Bare", department: null, accountEnabled: true },
    ]);
  });

  test("@removed: changed for a soft delete, deleted for a permanent one; a restore is an object again", async () => {
    const link = await latest();
    const [soft, hard, purged] = directoryTenant.sortedUsers().slice(10, 13);
    if (!soft || !hard || !purged) throw new Error("fixture");
    directoryTenant.deleteUsers([soft.id]);
    directoryTenant.deleteUsers([hard.id], { permanently: true });
    directoryTenant.deleteUsers([purged.id]);
    directoryTenant.deleteUsers([purged.id], { permanently: true });
    const changes = await round(link);
    const byId = new Map(changes.items.map((item) => [item.id, item]));
    expect(byId.get(soft.id)).toEqual({ id: soft.id, "@removed": { reason: "changed" } });
    expect(byId.get(hard.id)).toEqual({ id: hard.id, "@removed": { reason: "deleted" } });
    expect(byId.get(purged.id)).toEqual({ id: purged.id, "@removed": { reason: "deleted" } });
    expect(directoryTenant.restoreUser(soft.id)).toBe(true);
    const restored = await round(changes.deltaLink);
    expect(restored.items.map((item) => item.id)).toEqual([soft.id]);
    expect(restored.items[0]?.["@removed"]).toBeUndefined();
  });

  test("soft-deleted users are purged after 30 days and then reported deleted", async () => {
    const victim = directoryTenant.sortedUsers()[20];
    if (!victim) throw new Error("fixture");
    directoryTenant.deleteUsers([victim.id]);
    sim.directory.advanceClock(25 * DAY);
    try {
      const link = await latest();
      expect(directoryTenant.softDeletedIds()).toContain(victim.id);
      sim.directory.advanceClock(6 * DAY);
      // Day 31: the retention is over; the 6-day-old token sees a permanent deletion.
      expect((await round(link)).items).toEqual([
        { id: victim.id, "@removed": { reason: "deleted" } },
      ]);
      expect(directoryTenant.softDeletedIds()).not.toContain(victim.id);
    } finally {
      sim.directory.advanceClock(-31 * DAY);
    }
  });

  test("the initial round lists every user with $select on the first request only, in pages of 100", async () => {
    const all = await round("/users/delta?$select=id,accountEnabled");
    expect(all.items.length).toBe(directoryTenant.sortedUsers().length);
    expect(all.pages[0]?.value).toHaveLength(100);
    expect(Object.keys(all.items[0] ?? {}).sort()).toEqual(["accountEnabled", "id"]);
  });

  test("an object changed while the round is paged is replayed later in the same round, not in the next", async () => {
    const first = (await client.api("/users/delta?$select=id,surname").get()) as Page;
    const seen = first.value[0] as { id: string };
    const user = directoryTenant.getUser(seen.id);
    if (!user) throw new Error("fixture");
    directoryTenant.upsertUser({ ...user, surname: "Replayed" });
    const rest = await round(first["@odata.nextLink"] as string);
    const replays = rest.items.filter((item) => item.id === seen.id);
    expect(replays).toEqual([{ id: seen.id, surname: "Replayed" }]);
    expect((await round(rest.deltaLink)).items).toEqual([]);
  });

  test("the emptyDeltaPages fault: empty pages that still carry a nextLink", async () => {
    const link = await latest();
    sim.setFaults({ emptyDeltaPages: 2 });
    try {
      const result = await round(link);
      // Nothing changed: two empty pages, the first with a nextLink, the last with the deltaLink.
      expect(result.pages.map((page) => page.value.length)).toEqual([0, 0]);
      expect(result.pages[0]?.["@odata.nextLink"]).toBeString();
    } finally {
      sim.setFaults({});
    }
  });

  test("tokens last 7 days: 400 syncStateNotFound after; a reset is 410 resyncRequired with a Location", async () => {
    const link = await latest();
    sim.directory.advanceClock(7 * DAY - 60_000);
    const stillValid = await round(link);
    sim.directory.advanceClock(120_000);
    try {
      const error = (await client
        .api(link)
        .get()
        .catch((e) => e)) as GraphError;
      expect([error.statusCode, error.code]).toEqual([400, "syncStateNotFound"]);
      expect(error.message).toContain("The delta token is expired");
      // Each deltaLink is a fresh token.
      expect((await round(stillValid.deltaLink)).items).toEqual([]);
    } finally {
      sim.directory.advanceClock(-(7 * DAY + 60_000));
    }
    const before = await latest();
    const reset = await fetch(`${sim.url}/_sim/tenants/${tenant.tenantId}/reset-delta`, {
      method: "POST",
      headers: { "x-sim-control": CONTROL },
    });
    expect(reset.status).toBe(204);
    const gone = (await client
      .api(before)
      .get()
      .catch((e) => e)) as GraphError;
    expect([gone.statusCode, gone.code]).toEqual([410, "resyncRequired"]);
    expect(gone.headers?.get("location")).toBe(`${sim.url}/v1.0/users/delta?$deltatoken=`);
    await Bun.sleep(2);
    expect((await round(await latest())).items).toEqual([]);
  });

  test("delta refuses $top and $orderby; $filter only by id", async () => {
    for (const query of ["$top=5", "$orderby=displayName", "$filter=startswith(displayName,'A')"]) {
      const error = (await client
        .api(`/users/delta?${query}`)
        .get()
        .catch((e) => e)) as GraphError;
      expect([error.statusCode, error.code]).toEqual([400, "Request_UnsupportedQuery"]);
    }
    const id = directoryTenant.sortedUsers()[0]?.id as string;
    const one = await round(
      `/users/delta?$filter=${encodeURIComponent(`id eq '${id}'`)}&$select=id`,
    );
    expect(one.items).toEqual([{ id }]);
  });
});

describe("groups/delta", () => {
  const request = (ids: string[]) =>
    `/groups/delta?$filter=${encodeURIComponent(ids.map((id) => `id eq '${id}'`).join(" or "))}&$select=id,displayName,members`;

  test("the initial round lists direct members only (nested groups as groups), a big group over several pages", async () => {
    const big = "dddddddd-0000-4000-8000-0000000000b1";
    const root = directoryTenant.groups.get(tenant.groups.nestedRoot);
    directoryTenant.addGroup({
      id: big,
      displayName: "Big",
      description: null,
      mailNickname: "big",
      memberIds: [
        ...directoryTenant
          .sortedUsers()
          .slice(0, 140)
          .map((user) => user.id),
        tenant.groups.nestedChild,
      ],
    });
    const result = await round(request([big, tenant.groups.nestedRoot]));
    expect(result.items.filter((item) => item.id === big).length).toBeGreaterThan(1);
    const slices = result.items.filter((item) => item.id === tenant.groups.nestedRoot);
    expect(slices.length).toBe(1);
    const members = slices.flatMap(
      (item) => item["members@delta"] as { "@odata.type": string; id: string }[],
    );
    expect(members.map((member) => member.id).sort()).toEqual([...(root?.memberIds ?? [])].sort());
    expect(members.find((member) => member.id === tenant.groups.nestedChild)?.["@odata.type"]).toBe(
      "#microsoft.graph.group",
    );
    expect(result.items.some((item) => item.id === tenant.groups.nestedChild)).toBe(false);
  });

  test("members@delta carries additions and @removed members; unchanged groups do not appear", async () => {
    const { deltaLink } = await round(request([tenant.groups.sample, tenant.groups.nestedChild]));
    const sample = directoryTenant.groups.get(tenant.groups.sample);
    const gone = sample?.memberIds[0] as string;
    const outsider = directoryTenant
      .sortedUsers()
      .find((user) => !sample?.memberIds.includes(user.id));
    if (!outsider) throw new Error("fixture");
    directoryTenant.removeMember(tenant.groups.sample, gone);
    directoryTenant.addMember(tenant.groups.sample, outsider.id);
    const changes = await round(deltaLink);
    expect(changes.items).toEqual(
      [
        {
          id: tenant.groups.sample,
          displayName: "Pilot users",
          description: null,
          "members@delta": [
            { "@odata.type": "#microsoft.graph.user", id: gone, "@removed": { reason: "deleted" } },
            { "@odata.type": "#microsoft.graph.user", id: outsider.id },
          ].sort((a, b) => (a.id < b.id ? -1 : 1)),
        },
      ].map((item) => ({
        ...item,
        "members@delta": expect.arrayContaining(item["members@delta"]),
      })),
    );
    expect((await round(changes.deltaLink)).items).toEqual([]);
  });

  test("a deleted user leaves its groups as an @removed member", async () => {
    const { deltaLink } = await round(request([tenant.groups.sample]));
    const member = directoryTenant.groups
      .get(tenant.groups.sample)
      ?.memberIds.find((id) => directoryTenant.getUser(id)) as string;
    directoryTenant.deleteUsers([member]);
    const changes = await round(deltaLink);
    expect(changes.items[0]?.["members@delta"]).toEqual([
      { "@odata.type": "#microsoft.graph.user", id: member, "@removed": { reason: "deleted" } },
    ]);
  });

  test("more than 50 ids in $filter is refused; an expired groups token is syncStateNotFound", async () => {
    const ids = Array.from(
      { length: 51 },
      (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    );
    const error = (await client
      .api(request(ids))
      .get()
      .catch((e) => e)) as GraphError;
    expect([error.statusCode, error.code]).toEqual([400, "Request_UnsupportedQuery"]);
    const { deltaLink } = await round(request([tenant.groups.sample]));
    sim.directory.advanceClock(8 * DAY);
    try {
      const expired = (await client
        .api(deltaLink)
        .get()
        .catch((e) => e)) as GraphError;
      expect([expired.statusCode, expired.code]).toEqual([400, "syncStateNotFound"]);
    } finally {
      sim.directory.advanceClock(-8 * DAY);
    }
  });
});

describe("churn", () => {
  test("the control route's churn feeds full and delta reads alike", async () => {
    const link = await latest("id,surname");
    const before = new Set(directoryTenant.sortedUsers().map((user) => user.id));
    const response = await fetch(`${sim.url}/_sim/tenants/${tenant.tenantId}/churn`, {
      method: "POST",
      headers: { "x-sim-control": CONTROL, "content-type": "application/json" },
      body: JSON.stringify({ percent: 5, seed: 3, mix: "all" }),
    });
    const counts = (await response.json()) as Record<string, number>;
    expect(counts.added).toBeGreaterThan(0);
    expect(counts.membershipChanges).toBeGreaterThan(0);
    const after = new Set(directoryTenant.sortedUsers().map((user) => user.id));
    const changes = await round(link);
    const removed = new Set(
      changes.items.filter((item) => item["@removed"]).map((item) => item.id),
    );
    const upserted = new Set(
      changes.items.filter((item) => !item["@removed"]).map((item) => item.id as string),
    );
    // Applying the delta to the old id set gives exactly the new full listing.
    const applied = new Set([...before].filter((id) => !removed.has(id)));
    for (const id of upserted) applied.add(id);
    expect([...applied].sort()).toEqual([...after].sort());
    expect(churnDay(directoryTenant, { percent: 1, seed: 4 })).toMatchObject({
      added: expect.any(Number),
    });
  });
});
