import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type GeneratedWorkspace,
  type GoogleSim,
  generateWorkspace,
  SimGoogle,
  type SimWorkspace,
  startGoogleSim,
} from "@roster/google-sim";
import { type GoogleSettings, googleWorkspace } from "../src/index.ts";
import { expectedMembers, recordingLog } from "./support.ts";

/** searchGroups (groups.list `query`) and readUser (users.get, members.hasMember) via @googleapis/admin. */
const google = new SimGoogle();
let sim: GoogleSim;
let ws: GeneratedWorkspace;
let model: SimWorkspace;
let connector: ReturnType<typeof googleWorkspace>;
const { log } = recordingLog();

beforeAll(async () => {
  ws = generateWorkspace(google, { users: 60, seed: 9 });
  model = google.workspaces.get(ws.customerId) as SimWorkspace;
  sim = await startGoogleSim({ google });
  connector = googleWorkspace({
    tokenUrl: sim.tokenUrl,
    directoryUrl: sim.directoryUrl,
    issuerUrl: sim.issuerUrl,
    backoff: { attempts: 3, baseMs: 5, maxMs: 20 },
    transientRetry: { retries: 1, delayMs: 5 },
  });
});
afterAll(() => sim.stop());

const settings = (overrides: Record<string, unknown> = {}): GoogleSettings =>
  connector.settings.parse({ adminEmail: ws.adminEmail, ...overrides });
const input = (overrides: Record<string, unknown> = {}) => ({
  settings: settings(overrides),
  secret: connector.secret.schema.parse(JSON.stringify(ws.serviceAccountKey)),
  log,
});

describe("searchGroups", () => {
  test("by the start of the name or of the email, each group once", async () => {
    const byName = await connector.searchGroups?.(input(), "eng");
    expect(byName?.map((group) => group.name)).toEqual(["Engineering"]);
    expect(byName?.[0]).toMatchObject({
      externalId: ws.groups.nestedChild,
      detail: `engineering@${ws.domain}`,
    });
    // "all" starts "All staff" and all-staff@: found by both searches, listed once.
    expect((await connector.searchGroups?.(input(), "all"))?.map((g) => g.externalId)).toEqual([
      ws.groups.nestedRoot,
    ]);
    // Only a prefix matches, as groups.list documents (`:{PREFIX}*`).
    expect(await connector.searchGroups?.(input(), "staff")).toEqual([]);
  });

  test("a quote in the query is escaped, not a broken query", async () => {
    expect(await connector.searchGroups?.(input(), "o'brien")).toEqual([]);
  });
});

describe("readUser", () => {
  const ordinary = () => {
    const user = model
      .sortedUsers()
      .find((candidate) => !candidate.suspended && !candidate.isAdmin);
    if (!user) throw new Error("no user");
    return user;
  };

  test("by id and by email; unknown is null", async () => {
    const user = ordinary();
    const byId = await connector.readUser?.(
      { ...input(), fields: ["primaryEmail"] },
      { externalId: user.id },
    );
    expect(byId).toMatchObject({
      inScope: true,
      user: { externalId: user.id, attributes: { primaryEmail: user.primaryEmail } },
    });
    const byEmail = await connector.readUser?.(
      { ...input(), fields: [] },
      { email: user.primaryEmail },
    );
    expect(byEmail?.user.externalId).toBe(user.id);
    expect(
      await connector.readUser?.({ ...input(), fields: [] }, { email: `nobody@${ws.domain}` }),
    ).toBeNull();
  });

  test("org units: in scope in the unit or below it, out of scope in another unit", async () => {
    const emea = model.sortedUsers().find((user) => user.orgUnitPath === "/Sales/EMEA");
    const other = model.sortedUsers().find((user) => user.orgUnitPath === "/Engineering");
    if (!emea || !other) throw new Error("no users in the units");
    const scoped = { ...input({ users: "orgUnits", orgUnits: ["/Sales"] }), fields: [] };
    expect((await connector.readUser?.(scoped, { externalId: emea.id }))?.inScope).toBe(true);
    expect((await connector.readUser?.(scoped, { externalId: other.id }))?.inScope).toBe(false);
  });

  test("selected groups: in scope through nested groups (members.hasMember)", async () => {
    const deep = expectedMembers(model, ws.groups.nestedRoot);
    const scoped = {
      ...input({ users: "selectedGroups", groups: [ws.groups.nestedChild] }),
      fields: [],
    };
    const members = expectedMembers(model, ws.groups.nestedChild);
    expect(
      (await connector.readUser?.(scoped, { externalId: members[0] as string }))?.inScope,
    ).toBe(true);
    const outsider = model
      .sortedUsers()
      .find((user) => !members.includes(user.id) && !deep.includes(user.id));
    if (outsider) {
      expect((await connector.readUser?.(scoped, { externalId: outsider.id }))?.inScope).toBe(
        false,
      );
    }
  });
});
