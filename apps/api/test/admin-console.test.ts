import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { users } from "@roster/db";
import { eq } from "drizzle-orm";
import { testApi } from "./support.ts";

/** The admin console's API (issue 17, part B): validation words, directory tools, users, provision. */
let api: Awaited<ReturnType<typeof testApi>>;
let acme: Awaited<ReturnType<Awaited<ReturnType<typeof testApi>>["createTenant"]>>;
let connectionId: string;

beforeAll(async () => {
  api = await testApi({ users: 30 });
  acme = await api.createTenant("acme");
  const created = await api.call("POST", "/api/user-sync/connections", {
    token: acme.token,
    body: {
      type: "entra-id",
      settings: {
        applicationId: api.entra.clientId,
        directoryId: api.entra.tenantId,
        groups: { mode: "selected", ids: [api.entra.groups.sample] },
        aliasTemplate: "%mailNickname%",
      },
      secret: api.entra.secret,
    },
  });
  connectionId = created.json.id;
  await api.call("POST", `/api/user-sync/connections/${connectionId}/connect`, {
    token: acme.token,
  });
});
afterAll(async () => {
  const everything = [...api.bodies, ...api.log.lines].join("\n");
  expect(everything).not.toContain(api.entra.secret);
  await api.stop();
});

const as = (method: string, path: string, body?: unknown) =>
  api.call(method, path, { token: acme.token, body });

describe("validation in plain words", () => {
  test("every problem at once, each next to its field, no validator jargon", async () => {
    const bad = await as("POST", "/api/user-sync/connections", {
      type: "entra-id",
      name: "x".repeat(127),
      settings: {
        applicationId: "not-a-guid",
        directoryId: api.entra.tenantId,
        groups: { mode: "selected" },
        deletionLimit: { percent: null, minimum: 20 },
      },
      secret: "s",
    });
    expect(bad.status).toBe(400);
    // The request's own fields first (name), in the same plain words.
    expect(bad.json.error.details).toEqual([
      { path: ["name"], message: "Use at most 100 characters." },
    ]);
    const settings = await as("POST", "/api/user-sync/connections", {
      type: "entra-id",
      settings: {
        applicationId: "not-a-guid",
        directoryId: api.entra.tenantId,
        groups: { mode: "selected" },
        deletionLimit: { percent: null, minimum: 20 },
      },
      secret: "s",
    });
    expect(settings.status).toBe(400);
    const byPath = Object.fromEntries(
      settings.json.error.details.map((d: { path: string[]; message: string }) => [
        d.path.join("."),
        d.message,
      ]),
    );
    expect(byPath).toEqual({
      "settings.applicationId":
        "Application (client) ID must be a GUID like 00000000-0000-0000-0000-000000000000.",
      "settings.groups.ids": "This field is required.",
      // A cleared percentage is an error, never a silent 0.
      "settings.deletionLimit.percent": "This field is required.",
    });
    expect(settings.text).not.toMatch(/expected|received|Invalid input/);
  });
});

describe("directory tools", () => {
  test("group search by name, and the card's groups with names once synced", async () => {
    const found = await as(
      "GET",
      `/api/user-sync/connections/${connectionId}/groups/search?query=pil`,
    );
    expect(found.status).toBe(200);
    expect(found.json.items).toEqual([
      { externalId: api.entra.groups.sample, name: "Pilot users", detail: null },
    ]);
    const before = await as("GET", `/api/user-sync/connections/${connectionId}/groups`);
    expect(before.json.items).toEqual([
      { externalId: api.entra.groups.sample, name: null, groupId: null, memberCount: null },
    ]);
    await as("POST", `/api/user-sync/connections/${connectionId}/sync`);
    await api.deps.tracker.idle();
    const after = await as("GET", `/api/user-sync/connections/${connectionId}/groups`);
    expect(after.json.items[0]).toMatchObject({ name: "Pilot users" });
    expect(after.json.items[0].memberCount).toBeGreaterThan(0);
    const members = await as("GET", `/api/groups/${after.json.items[0].groupId}/members`);
    expect(members.json.items).toHaveLength(after.json.items[0].memberCount);
  });

  test("the alias example uses real directory users; an unmatched % is a 400 in plain words", async () => {
    const example = await as("POST", `/api/user-sync/connections/${connectionId}/alias-example`, {
      aliasTemplate: "%givenName%.%surname%",
    });
    expect(example.status).toBe(200);
    expect(example.json.examples.length).toBeGreaterThan(0);
    const sim = api.directory.find(api.entra.tenantId);
    for (const row of example.json.examples) {
      const user = sim?.getUser(row.externalId);
      const expected = user?.givenName && user.surname ? [`${user.givenName}.${user.surname}`] : [];
      expect(row.aliases).toEqual(expected);
    }
    const refused = await as("POST", `/api/user-sync/connections/${connectionId}/alias-example`, {
      aliasTemplate: "%givenName",
    });
    expect(refused.status).toBe(400);
    expect(refused.json.error.details).toEqual([
      {
        path: ["aliasTemplate"],
        message: 'The alias pattern "%givenName" has a % without its closing %.',
      },
    ]);
  });
});

describe("provision on demand", () => {
  test("dry run explains and writes nothing; provision writes through a provision run", async () => {
    const sim = api.directory.find(api.entra.tenantId);
    const pilot = new Set(sim?.groups.get(api.entra.groups.sample)?.memberIds ?? []);
    const outsider = sim?.sortedUsers().find((user) => !pilot.has(user.id) && user.mail);
    if (!outsider) throw new Error("no outsider");
    // Users: All, so the outsider is in scope.
    const email = outsider.mail as string;
    const dry = await as("POST", `/api/user-sync/connections/${connectionId}/provision`, {
      email,
      dryRun: true,
    });
    expect(dry.status).toBe(200);
    expect(dry.json).toMatchObject({ run: null, explanation: { action: expect.any(String) } });
    const existing = await api.deps.db.db
      .select()
      .from(users)
      .where(eq(users.externalId, outsider.id));
    const wasCreated = existing.length > 0;

    outsider.surname = "Renamed";
    const done = await as("POST", `/api/user-sync/connections/${connectionId}/provision`, {
      externalId: outsider.id,
    });
    expect(done.status).toBe(200);
    expect(done.json.run).toMatchObject({ trigger: "provision" });
    expect(done.json.explanation.match.by).toBe(wasCreated ? "directory_id" : "none");
    expect(done.json.explanation.changes).toContainEqual(
      expect.objectContaining({ field: "lastName", after: "Renamed" }),
    );
    const [row] = await api.deps.db.db
      .select()
      .from(users)
      .where(eq(users.externalId, outsider.id));
    expect(row?.lastName).toBe("Renamed");

    // Its history names the provision run; the run's explanation names what it recorded.
    const history = await as("GET", `/api/users/${row?.id}/history`);
    expect(history.json.changes[0]).toMatchObject({
      runId: done.json.run.id,
      trigger: "provision",
    });
    expect(history.json).toMatchObject({
      signIn: "microsoft",
      externalId: outsider.id,
      connection: { id: connectionId },
    });
    const explained = await as(
      "GET",
      `/api/user-sync/runs/${done.json.run.id}/explain?externalId=${outsider.id}`,
    );
    expect(explained.status).toBe(200);
    expect(explained.json.recorded.changes[0].kind).toBe(wasCreated ? "updated" : "created");
    expect(explained.json.now.action).toBe("unchanged");
  });

  test("bad keys: neither or both is a 400, nobody is a 404", async () => {
    const path = `/api/user-sync/connections/${connectionId}/provision`;
    expect((await as("POST", path, {})).status).toBe(400);
    expect((await as("POST", path, { externalId: "x", email: "a@b.cd" })).status).toBe(400);
    const nobody = await as("POST", path, { email: "nobody@nowhere.example" });
    expect(nobody.status).toBe(404);
    expect(nobody.json.error.message).toContain("nobody@nowhere.example");
  });
});

describe("users list", () => {
  test("total, filters by source and sign-in, sorting, deleted", async () => {
    const all = await as("GET", "/api/users?limit=5&sort=email");
    expect(all.status).toBe(200);
    expect(all.json.total).toBeGreaterThan(5);
    const emails = all.json.items.map((user: { email: string }) => user.email.toLowerCase());
    expect(emails).toEqual([...emails].sort());
    const next = await as("GET", `/api/users?limit=5&sort=email&cursor=${all.json.nextCursor}`);
    expect(next.json.items[0].email.toLowerCase() > (emails.at(-1) as string)).toBe(true);
    const local = await as("GET", "/api/users?source=application&signIn=password");
    expect(local.json.total).toBe(1);
    const synced = await as("GET", `/api/users?source=${connectionId}&signIn=microsoft`);
    expect(synced.json.total).toBe(all.json.total - 1);
    const victim = synced.json.items[0];
    await as("DELETE", `/api/users/${victim.id}`);
    const deleted = await as("GET", "/api/users?deleted=only");
    expect(deleted.json.items.map((user: { id: string }) => user.id)).toEqual([victim.id]);
    expect((await as("GET", "/api/users?sort=bogus")).status).toBe(400);
    expect((await as("GET", "/api/users?sort=name&cursor=bm9wZQ")).status).toBe(400);
  });
});
