import { expect, test } from "bun:test";
import type { Client, InStatement } from "@libsql/client";
import { openRunStore } from "../src/sync/store/index.ts";
import { leaseHeld } from "../src/sync/store/lease.ts";
import { userChunks, usersMatching } from "../src/sync/store/user-chunks.ts";
import { chunkStatements, noRows } from "../src/sync/store/user-rows.ts";
import type { KnownUser } from "../src/sync/user-index.ts";
import { testDeps } from "./support.ts";

/**
 * A step that reads a table by the tenant alone walks every user (or alias) of the tenant:
 * per updated row, when the JSON rows are scanned inside it (1 s for 100 updates at 10k users).
 * The tenant's roles are a handful: finding the permission-granting ones by tenant is fine.
 */
const WALKS_TENANT = /^(?!SEARCH roles\b).*\(tenant_id=\?\)$|^SCAN (users|user_aliases)\b/;

async function walksOf(client: Client, statement: InStatement) {
  const { sql, args = [] } = typeof statement === "string" ? { sql: statement } : statement;
  const plan = await client.execute({ sql: `explain query plan ${sql}`, args });
  return {
    sql,
    walks: plan.rows.map((row) => String(row.detail)).filter((step) => WALKS_TENANT.test(step)),
  };
}

const lease = { runId: "run_1", token: "token" };

test("a chunk's updates, alias and role resets find their users by id, not by walking the tenant", async () => {
  const { deps } = await testDeps([]);
  const rows = noRows();
  rows.updates.push(["usr_1", "a@x.test", "A", "B", "[]", "microsoft", "con_1", "ext-1", 1, null]);
  rows.aliasResets.push("usr_1");
  rows.roleResets.push("usr_1");
  rows.sessionEnds.push("usr_1");
  rows.aliases.push(["ten_1", "usr_1", "a"]);
  rows.roles.push(["usr_1", "rol_1"]);
  const statements = chunkStatements("ten_1", rows, leaseHeld(lease));
  expect(statements.length).toBe(6);
  for (const statement of statements) {
    const { sql, walks } = await walksOf(deps.db.client, statement);
    expect({ sql, walks }).toEqual({ sql, walks: [] });
  }
});

test("a run's deletions find their users by id, not by walking the tenant", async () => {
  const { deps } = await testDeps([]);
  const written: InStatement[] = [];
  const client = deps.db.client;
  // The main connection writes (no writer thread): its batches are what the run would send.
  const store = openRunStore(
    {
      ...deps,
      db: {
        ...deps.db,
        openPageWriter: undefined,
        client: new Proxy(client, {
          get(target, key) {
            if (key === "batch")
              return async (statements: InStatement[]) => {
                written.push(...statements);
                return statements.map(() => ({ rowsAffected: 0 }));
              };
            const value = Reflect.get(target, key);
            return typeof value === "function" ? value.bind(target) : value;
          },
        }),
      },
    },
    {
      tenantId: "ten_1",
      tenantName: "T",
      signIn: "microsoft",
      userRoleId: null,
      sendPinEmails: false,
      runId: lease.runId,
    },
    lease,
  );
  // The lease is not held in this empty database: the store stops after one batch.
  await store.deleteUsers([{ id: "usr_1" } as KnownUser], []).catch(() => {});
  const deletion = written.find(
    (statement) => typeof statement !== "string" && statement.sql.includes("deleted_at = ?"),
  );
  expect(deletion).toBeDefined();
  const { sql, walks } = await walksOf(client, deletion as InStatement);
  expect({ sql, walks }).toEqual({ sql, walks: [] });
});

test("the users a page of changes can match are found through their ids and emails, not by walking the tenant", async () => {
  const { deps } = await testDeps([]);
  const asked: InStatement[] = [];
  const client = new Proxy(deps.db.client, {
    get(target, key) {
      if (key === "execute")
        return (statement: InStatement) => {
          asked.push(statement);
          return target.execute(statement);
        };
      const value = Reflect.get(target, key);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  await usersMatching(client, "ten_1", "con_1", { externalIds: ["ext-1"], emails: ["a@x.test"] });
  expect(asked).toHaveLength(1);
  const { sql, walks } = await walksOf(deps.db.client, asked[0] as InStatement);
  expect({ sql, walks }).toEqual({ sql, walks: [] });
});

test("the index load finds the privileged users through one list of the roles that grant permissions, not a query per user", async () => {
  const { deps } = await testDeps([]);
  const asked: InStatement[] = [];
  const query = async (statement: InStatement) => {
    asked.push(statement);
    return "[]";
  };
  for await (const _ of userChunks(query, "ten_1", 100)) {
    // no users: one query is enough to see its plan
  }
  const [statement] = asked as [InStatement];
  const { sql, args = [] } = typeof statement === "string" ? { sql: statement } : statement;
  const plan = await deps.db.client.execute({ sql: `explain query plan ${sql}`, args });
  const steps = plan.rows.map((row) => String(row.detail));
  expect(steps.filter((step) => step.startsWith("CORRELATED"))).toEqual([]);
});
