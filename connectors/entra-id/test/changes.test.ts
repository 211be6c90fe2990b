import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  type DirectoryRemoval,
  type DirectoryUser,
  forEachChange,
  ResyncRequiredError,
} from "@roster/connector-kit";
import {
  blankUser,
  churnDay,
  type EntraSim,
  type GeneratedTenant,
  generateTenant,
  SimDirectory,
  type SimTenant,
  startEntraSim,
} from "@roster/entra-sim";
import fc from "fast-check";
import { type EntraSettings, entraId } from "../src/index.ts";

const USERS = 300;
const DAY = 24 * 3600 * 1000;
const FIELDS = ["onPremisesSamAccountName", "department"];
let sim: EntraSim;
let tenant: GeneratedTenant;
let directoryTenant: SimTenant;
let connector: ReturnType<typeof entraId>;
let onRequest: ((url: URL) => void) | null = null;
/** User ids as generated, in id order (the live list shifts as tests add and delete users). */
let fixedIds: string[] = [];
const log = { debug() {}, info() {}, warn() {}, error() {} };

/** Groups of our own: Top ⊃ Mid ⊃ Leaf, with a few users each. */
const TOP = "aaaaaaaa-0000-4000-8000-000000000001";
const MID = "aaaaaaaa-0000-4000-8000-000000000002";
const LEAF = "aaaaaaaa-0000-4000-8000-000000000003";
const BIG = "aaaaaaaa-0000-4000-8000-000000000004";

beforeAll(async () => {
  const directory = new SimDirectory();
  tenant = generateTenant(directory, { users: USERS, seed: 11 });
  directoryTenant = directory.find(tenant.tenantId) as SimTenant;
  const ids = directoryTenant.sortedUsers().map((user) => user.id);
  fixedIds = ids;
  const group = (id: string, name: string, memberIds: string[]) =>
    directoryTenant.groups.set(id, {
      id,
      displayName: name,
      description: null,
      mailNickname: name,
      memberIds,
    });
  group(TOP, "Top", [...ids.slice(0, 5), MID]);
  group(MID, "Mid", [...ids.slice(5, 10), LEAF]);
  group(LEAF, "Leaf", [...ids.slice(10, 15), ids[0] as string]);
  // More members than a delta page holds: the group comes on several pages.
  group(BIG, "Big", ids.slice(0, 250));
  sim = await startEntraSim({ directory, onGraphRequest: (url) => onRequest?.(url) });
  connector = entraId({
    authorityHost: sim.url,
    graphBaseUrl: sim.url,
    retry: { delaySeconds: 0, maxRetries: 2 },
    pageRetryDelayMs: 10,
  });
});
afterAll(() => sim.stop());

const settingsFor = (target: GeneratedTenant, overrides: Record<string, unknown> = {}) =>
  connector.settings.parse({
    applicationId: target.clientId,
    directoryId: target.tenantId,
    ...overrides,
  });
const ALL = () => settingsFor(tenant);
const GROUPS = (ids: string[]) =>
  settingsFor(tenant, { groups: { mode: "selected", ids }, users: "selectedGroups" });

type Read = {
  upserted: DirectoryUser[];
  removed: DirectoryRemoval[];
  cursor: string;
  issuedAt: Date;
  pages: number;
};

const readChanges = async (
  settings: EntraSettings,
  cursor: string | null,
  options: { secret?: string; fields?: string[] } = {},
): Promise<Read> => {
  const readChanges = connector.readChanges;
  if (!readChanges) throw new Error("no readChanges");
  const read: Omit<Read, "cursor" | "issuedAt"> = { upserted: [], removed: [], pages: 0 };
  const end = await forEachChange(
    readChanges(
      { settings, secret: options.secret ?? tenant.secret, log, fields: options.fields ?? FIELDS },
      cursor,
    ),
    (page) => {
      read.pages += 1;
      read.upserted.push(...page.upserted);
      read.removed.push(...page.removed);
    },
  );
  return { ...read, ...end };
};

const fullRead = async (settings: EntraSettings, secret = tenant.secret) => {
  const users = new Map<string, DirectoryUser>();
  for await (const page of connector.readUsers({ settings, secret, log, fields: FIELDS })) {
    for (const user of page) users.set(user.externalId, user);
  }
  return users;
};

const ids = (users: DirectoryUser[]) => users.map((user) => user.externalId).sort();
const userRequests = () => sim.counts.byRoute["/v1.0/users/delta"] ?? 0;

describe("readChanges, all users", () => {
  test("null starts tracking with a complete read; a day without change is empty and costs one request", async () => {
    const start = await readChanges(ALL(), null);
    const full = await fullRead(ALL());
    expect(start.removed).toEqual([]);
    expect(ids(start.upserted)).toEqual([...full.keys()].sort());
    expect(new Set(ids(start.upserted)).size).toBe(start.upserted.length);
    expect(start.cursor).toStartWith("entra1.");

    const before = userRequests();
    const quiet = await readChanges(ALL(), start.cursor);
    expect([quiet.upserted, quiet.removed, quiet.pages]).toEqual([[], [], 0]);
    expect(userRequests() - before).toBe(1);
    expect(quiet.issuedAt.getTime()).toBeGreaterThanOrEqual(start.issuedAt.getTime());
  });

  test("each kind of change: create, update with absent properties, disable, soft and hard delete", async () => {
    const { cursor } = await readChanges(ALL(), null);
    const [a, b, c, d, e] = directoryTenant.sortedUsers().slice(20, 25);
    if (!a || !b || !c || !d || !e) throw new Error("fixture");
    // Created with only a few properties set: delta omits the rest, which are null.
    const created = {
      ...blankUser("bbbbbbbb-0000-4000-8000-000000000001", "fresh@contoso.example"),
      givenName: "Fresh",
    };
    directoryTenant.upsertUser(created);
    // Updated: surname changed, department cleared (delta sends null), the rest unchanged.
    directoryTenant.upsertUser({ ...a, surname: "Renamed", department: null });
    directoryTenant.upsertUser({ ...b, accountEnabled: false });
    directoryTenant.deleteUsers([c.id]);
    directoryTenant.deleteUsers([d.id], { permanently: true });
    // Soft-deleted, then purged from deleted items: permanently gone.
    directoryTenant.deleteUsers([e.id]);
    directoryTenant.deleteUsers([e.id], { permanently: true });

    const changes = await readChanges(ALL(), cursor);
    const full = await fullRead(ALL());
    const byId = new Map(changes.upserted.map((user) => [user.externalId, user]));
    // Every upserted user is exactly what a full read returns: full objects, nothing lost.
    for (const id of [created.id, a.id, b.id]) expect(byId.get(id)).toEqual(full.get(id));
    expect(byId.size).toBe(3);
    expect(byId.get(created.id)).toMatchObject({
      givenName: "Fresh",
      surname: null,
      email: "fresh@contoso.example",
      enabled: true,
      attributes: { onPremisesSamAccountName: null, department: null },
    });
    expect(byId.get(a.id)).toMatchObject({
      surname: "Renamed",
      givenName: a.givenName,
      attributes: { department: null },
    });
    expect(byId.get(b.id)?.enabled).toBe(false);
    expect(changes.removed.sort((x, y) => (x.externalId < y.externalId ? -1 : 1))).toEqual(
      (
        [
          { externalId: c.id, reason: "changed" },
          { externalId: d.id, reason: "deleted" },
          { externalId: e.id, reason: "deleted" },
        ] satisfies DirectoryRemoval[]
      ).sort((x, y) => (x.externalId < y.externalId ? -1 : 1)),
    );

    // A restored user comes back as an ordinary upsert.
    const next = changes.cursor;
    directoryTenant.restoreUser(c.id);
    const restored = await readChanges(ALL(), next);
    expect(ids(restored.upserted)).toEqual([c.id]);
    expect(restored.removed).toEqual([]);
  });

  test("replays within a round are merged: each id once, in its last state", async () => {
    const { cursor } = await readChanges(ALL(), null);
    const users = directoryTenant.sortedUsers().slice(30, 280);
    for (const user of users) directoryTenant.upsertUser({ ...user, jobTitle: "Day 1" });
    const first = users[0];
    if (!first) throw new Error("fixture");
    let deltaPages = 0;
    onRequest = (url) => {
      if (!url.pathname.endsWith("/users/delta")) return;
      deltaPages += 1;
      // While the client is between pages 1 and 2, a user it already got changes again.
      if (deltaPages === 2) directoryTenant.upsertUser({ ...first, surname: "Changed mid-round" });
    };
    try {
      const changes = await readChanges(ALL(), cursor);
      expect(deltaPages).toBeGreaterThan(2);
      expect(changes.upserted.length).toBe(users.length);
      expect(new Set(ids(changes.upserted)).size).toBe(users.length);
      expect(changes.upserted.find((user) => user.externalId === first.id)?.surname).toBe(
        "Changed mid-round",
      );
      // The replayed change is not delivered again by the next round.
      onRequest = null;
      expect((await readChanges(ALL(), changes.cursor)).upserted).toEqual([]);
    } finally {
      onRequest = null;
    }
  });

  test("a change made during the complete read comes again in the next round", async () => {
    const user = directoryTenant.sortedUsers()[40];
    if (!user) throw new Error("fixture");
    let done = false;
    onRequest = (url) => {
      if (!done && url.pathname === "/v1.0/users") {
        done = true;
        directoryTenant.upsertUser({ ...user, surname: "During the full read" });
      }
    };
    try {
      const start = await readChanges(ALL(), null);
      onRequest = null;
      const next = await readChanges(ALL(), start.cursor);
      expect(next.upserted.map((u) => [u.externalId, u.surname])).toEqual([
        [user.id, "During the full read"],
      ]);
    } finally {
      onRequest = null;
    }
  });

  test("empty pages with a nextLink are followed to the deltaLink", async () => {
    const { cursor } = await readChanges(ALL(), null);
    const user = directoryTenant.sortedUsers()[50];
    if (!user) throw new Error("fixture");
    directoryTenant.upsertUser({ ...user, surname: "After empty pages" });
    sim.setFaults({ emptyDeltaPages: 3 });
    try {
      const before = userRequests();
      const changes = await readChanges(ALL(), cursor);
      expect(userRequests() - before).toBe(4);
      expect(changes.upserted.map((u) => u.surname)).toEqual(["After empty pages"]);
    } finally {
      sim.setFaults({});
    }
  });

  test("throttling in a delta round is ridden out with Retry-After", async () => {
    const { cursor } = await readChanges(ALL(), null);
    sim.setFaults({ throttle: { count: 1, retryAfterSeconds: 1 } });
    const throttled = sim.counts.throttled;
    const started = Date.now();
    const changes = await readChanges(ALL(), cursor);
    expect(sim.counts.throttled).toBe(throttled + 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(changes.upserted).toEqual([]);
  });

  test("a token past 7 days is ResyncRequiredError cursor_expired; 6 days is fine", async () => {
    const { cursor } = await readChanges(ALL(), null);
    sim.directory.advanceClock(6 * DAY);
    const fresh = await readChanges(ALL(), cursor);
    sim.directory.advanceClock(DAY);
    try {
      // The new cursor of the 6-day round is fresh again; the old one has expired.
      expect((await readChanges(ALL(), fresh.cursor)).upserted).toEqual([]);
      const error = await readChanges(ALL(), cursor).catch((e) => e);
      expect(error).toBeInstanceOf(ResyncRequiredError);
      expect(error).toMatchObject({ code: "resync_required", reason: "cursor_expired" });
      expect(error.details).toMatchObject({ status: 400, graphCode: "syncStateNotFound" });
    } finally {
      sim.directory.advanceClock(-7 * DAY);
    }
  });

  test("a synchronization reset (410) is ResyncRequiredError directory_reset", async () => {
    const { cursor } = await readChanges(ALL(), null);
    directoryTenant.syncResetAt = directoryTenant.now() + 1;
    const error = await readChanges(ALL(), cursor).catch((e) => e);
    expect(error).toBeInstanceOf(ResyncRequiredError);
    expect(error).toMatchObject({ reason: "directory_reset", details: { status: 410 } });
    // After the reset a new round works again.
    await Bun.sleep(2);
    const again = await readChanges(ALL(), null);
    expect((await readChanges(ALL(), again.cursor)).upserted).toEqual([]);
  });

  test("a cursor for other settings or fields is scope_changed; garbage is cursor_invalid", async () => {
    const { cursor } = await readChanges(ALL(), null);
    const otherFields = await readChanges(ALL(), cursor, { fields: ["employeeId"] }).catch(
      (e) => e,
    );
    expect(otherFields).toMatchObject({ reason: "scope_changed" });
    const otherScope = await readChanges(GROUPS([TOP]), cursor).catch((e) => e);
    expect(otherScope).toMatchObject({ reason: "scope_changed" });
    for (const bad of ["", "garbage", "entra1.AAAA"]) {
      expect(await readChanges(ALL(), bad).catch((e) => e)).toMatchObject({
        code: "resync_required",
        reason: "cursor_invalid",
      });
    }
  });

  test("a failure mid-round throws a plain ConnectorError and the old cursor still replays the changes", async () => {
    const { cursor } = await readChanges(ALL(), null);
    const user = directoryTenant.sortedUsers()[60];
    if (!user) throw new Error("fixture");
    directoryTenant.upsertUser({ ...user, surname: "Seen twice" });
    sim.setFaults({ fail: { count: 10, status: 500 } });
    const error = await readChanges(ALL(), cursor).catch((e) => e);
    sim.setFaults({});
    expect(error).not.toBeInstanceOf(ResyncRequiredError);
    expect(error.code).toBe("read_failed");
    expect((await readChanges(ALL(), cursor)).upserted.map((u) => u.surname)).toEqual([
      "Seen twice",
    ]);
  });
});

describe("readChanges, selected groups", () => {
  const member = (index: number) => fixedIds[index] as string;

  test("null is a complete read of the nested scope; a quiet day is empty", async () => {
    const start = await readChanges(GROUPS([TOP]), null);
    const full = await fullRead(GROUPS([TOP]));
    expect(ids(start.upserted)).toEqual([...full.keys()].sort());
    expect(start.upserted.length).toBe(15);
    const quiet = await readChanges(GROUPS([TOP]), start.cursor);
    expect([quiet.upserted, quiet.removed]).toEqual([[], []]);
  });

  test("a group with more members than a page is merged across pages", async () => {
    const start = await readChanges(GROUPS([BIG]), null);
    const full = await fullRead(GROUPS([BIG]));
    // 250 members less the few earlier tests deleted.
    expect(start.upserted.length).toBeGreaterThan(240);
    expect(ids(start.upserted)).toEqual([...full.keys()].sort());
    directoryTenant.removeMember(BIG, member(0));
    const changes = await readChanges(GROUPS([BIG]), start.cursor);
    expect(changes.removed).toEqual([{ externalId: member(0), reason: "left_scope" }]);
  });

  test("nested membership changes both ways; a user still in scope through another group stays", async () => {
    let { cursor } = await readChanges(GROUPS([TOP]), null);
    const outsider = member(100);
    const leafOnly = member(11);
    // Into a group nested two levels down: pulled in with its full object (no property change).
    directoryTenant.addMember(LEAF, outsider);
    // Out of Leaf: leaves the scope.
    directoryTenant.removeMember(LEAF, leafOnly);
    // Member 0 is in Top and in Leaf: leaving Leaf keeps it in scope.
    directoryTenant.removeMember(LEAF, member(0));
    let changes = await readChanges(GROUPS([TOP]), cursor);
    const full = await fullRead(GROUPS([TOP]));
    expect(ids(changes.upserted)).toEqual([outsider]);
    expect(changes.upserted[0]).toEqual(full.get(outsider) as DirectoryUser);
    expect(changes.removed).toEqual([{ externalId: leafOnly, reason: "left_scope" }]);
    cursor = changes.cursor;

    // Property changes: in scope → upserted; out of scope → nothing.
    const inScope = directoryTenant.getUser(member(1));
    const outOfScope = directoryTenant.getUser(member(200));
    if (!inScope || !outOfScope) throw new Error("fixture");
    directoryTenant.upsertUser({ ...inScope, surname: "Inside" });
    directoryTenant.upsertUser({ ...outOfScope, surname: "Outside" });
    changes = await readChanges(GROUPS([TOP]), cursor);
    expect(changes.upserted.map((u) => [u.externalId, u.surname])).toEqual([[member(1), "Inside"]]);
    expect(changes.removed).toEqual([]);
    cursor = changes.cursor;

    // Un-nesting Mid drops everyone only reachable through it; nesting it again brings them back.
    directoryTenant.removeMember(TOP, MID);
    changes = await readChanges(GROUPS([TOP]), cursor);
    const midAndLeaf = [5, 6, 7, 8, 9, 10, 12, 13, 14].map(member).concat(outsider).sort();
    expect(changes.removed.map((r) => r.externalId).sort()).toEqual(midAndLeaf);
    expect(new Set(changes.removed.map((r) => r.reason))).toEqual(new Set(["left_scope"]));
    directoryTenant.addMember(TOP, MID);
    changes = await readChanges(GROUPS([TOP]), changes.cursor);
    expect(ids(changes.upserted)).toEqual(midAndLeaf);
    cursor = changes.cursor;

    // Deleted in the directory: a removal with Graph's reason, not "left_scope".
    directoryTenant.deleteUsers([member(2)]);
    changes = await readChanges(GROUPS([TOP]), cursor);
    expect(changes.removed).toEqual([{ externalId: member(2), reason: "changed" }]);
    expect(ids((await readChanges(GROUPS([TOP]), changes.cursor)).upserted)).toEqual([]);
    directoryTenant.restoreUser(member(2));
  });

  test("a group added inside a selected group pulls its members in", async () => {
    const { cursor } = await readChanges(GROUPS([TOP]), null);
    const newcomers = [member(150), member(151), member(152)];
    const team = "aaaaaaaa-0000-4000-8000-000000000009";
    directoryTenant.addGroup({
      id: team,
      displayName: "Team",
      description: null,
      mailNickname: "team",
      memberIds: newcomers,
    });
    directoryTenant.addMember(MID, team);
    const changes = await readChanges(GROUPS([TOP]), cursor);
    expect(ids(changes.upserted)).toEqual([...newcomers].sort());
    // The new group is tracked from now on: a member added to it later arrives too.
    directoryTenant.addMember(team, member(153));
    const later = await readChanges(GROUPS([TOP]), changes.cursor);
    expect(ids(later.upserted)).toEqual([member(153)]);
    directoryTenant.removeMember(MID, team);
  });
});

describe("property: incremental reads converge on a full read", () => {
  let run = 0;
  const days = fc.array(
    fc.record({
      seed: fc.integer({ min: 1, max: 1_000_000 }),
      percent: fc.integer({ min: 1, max: 15 }),
      mix: fc.constantFrom("basic" as const, "all" as const),
      quiet: fc.boolean(),
    }),
    { minLength: 1, maxLength: 4 },
  );

  for (const scope of ["all users", "selected groups"] as const) {
    test(`${scope}: any sequence of churn days, applied through readChanges, equals a full read`, async () => {
      await fc.assert(
        fc.asyncProperty(days, async (sequence) => {
          run += 1;
          // A tenant of its own per case, on the same simulator.
          const target = generateTenant(sim.directory, {
            users: 40,
            seed: 1000 + run,
            tenantId: `cccccccc-0000-4000-8000-${String(run).padStart(12, "0")}`,
            domain: `t${run}.example`,
          });
          const simTenant = sim.directory.find(target.tenantId) as SimTenant;
          const settings =
            scope === "all users"
              ? settingsFor(target)
              : settingsFor(target, {
                  users: "selectedGroups",
                  groups: {
                    mode: "selected",
                    ids: [target.groups.sample, target.groups.nestedGrandchild],
                  },
                });
          const state = new Map<string, DirectoryUser>();
          let { cursor, upserted } = await readChanges(settings, null, { secret: target.secret });
          for (const user of upserted) state.set(user.externalId, user);
          for (const day of sequence) {
            if (!day.quiet) churnDay(simTenant, day);
            const changes = await readChanges(settings, cursor, { secret: target.secret });
            for (const user of changes.upserted) state.set(user.externalId, user);
            for (const removal of changes.removed) state.delete(removal.externalId);
            cursor = changes.cursor;
          }
          const full = await fullRead(settings, target.secret);
          const sorted = (map: Map<string, DirectoryUser>) =>
            [...map.values()].sort((a, b) => (a.externalId < b.externalId ? -1 : 1));
          expect(sorted(state)).toEqual(sorted(full));
        }),
        { numRuns: 12 },
      );
    }, 60_000);
  }
});
