import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createDb,
  type DbHandle,
  isUniqueViolation,
  migrateDb,
  newId,
  tenants,
  userAliases,
  users,
} from "../src/index.ts";

/** Resolves to the error a query failed with, or null. */
const failure = (query: PromiseLike<unknown>) =>
  Promise.resolve(query).then(
    () => null,
    (error: unknown) => error,
  );

let dir: string;
let handle: DbHandle;

async function freshDb() {
  dir = mkdtempSync(join(tmpdir(), "roster-db-"));
  handle = await createDb({ url: `file:${join(dir, "nested", "roster.db")}` });
  await migrateDb(handle.db);
  const now = new Date();
  const tenantId = newId("ten");
  await handle.db
    .insert(tenants)
    .values({ id: tenantId, slug: "acme", name: "Acme", createdAt: now, updatedAt: now });
  return { db: handle.db, tenantId, now };
}

const userRow = (tenantId: string, email: string, now: Date, deletedAt: Date | null = null) => ({
  id: newId("usr"),
  tenantId,
  email,
  firstName: "Ada",
  lastName: "Lovelace",
  signIn: "password" as const,
  createdAt: now,
  updatedAt: now,
  deletedAt,
});

afterEach(() => {
  handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("database schema", () => {
  test("creates the database folder and applies migrations twice without harm", async () => {
    const { db } = await freshDb();
    await migrateDb(db);
    expect(await db.select().from(tenants)).toHaveLength(1);
  });

  test("rejects an email that differs only in case, soft-deleted users included", async () => {
    const { db, tenantId, now } = await freshDb();
    await db.insert(users).values(userRow(tenantId, "Ada@Example.com", now, now));
    expect(
      isUniqueViolation(
        await failure(db.insert(users).values(userRow(tenantId, "ada@example.COM", now))),
      ),
    ).toBe(true);
  });

  test("allows the same email in two tenants", async () => {
    const { db, tenantId, now } = await freshDb();
    const other = newId("ten");
    await db
      .insert(tenants)
      .values({ id: other, slug: "other", name: "Other", createdAt: now, updatedAt: now });
    await db.insert(users).values(userRow(tenantId, "ada@example.com", now));
    await db.insert(users).values(userRow(other, "ada@example.com", now));
    expect(await db.select().from(users)).toHaveLength(2);
  });

  test("rejects an alias held by another user of the tenant, case-insensitively", async () => {
    const { db, tenantId, now } = await freshDb();
    const a = userRow(tenantId, "a@example.com", now);
    const b = userRow(tenantId, "b@example.com", now);
    await db.insert(users).values([a, b]);
    await db.insert(userAliases).values({ tenantId, userId: a.id, alias: "JDoe" });
    expect(
      isUniqueViolation(
        await failure(db.insert(userAliases).values({ tenantId, userId: b.id, alias: "jdoe" })),
      ),
    ).toBe(true);
  });

  test("ids carry their table's prefix and sort by creation time", async () => {
    const first = newId("usr");
    expect(first).toMatch(/^usr_[0-9A-Za-z]{20}$/);
    expect(newId("usr")).not.toBe(newId("usr"));
    await Bun.sleep(2);
    expect(newId("usr") > first).toBe(true);
  });
});
