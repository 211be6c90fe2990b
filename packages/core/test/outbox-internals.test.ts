import { describe, expect, test } from "bun:test";
import type { InStatement } from "@libsql/client";
import type { BatchOutcome } from "@roster/email";
import { claimStatements } from "../src/outbox/claim.ts";
import { Pacer } from "../src/outbox/pacing.ts";
import { releaseStatements, sentStatements } from "../src/outbox/record.ts";
import { createSettler } from "../src/outbox/settle.ts";
import { outboxWrites } from "../src/outbox/writes.ts";
import { testDeps } from "./support.ts";

const answered: BatchOutcome = {
  ok: true,
  ids: [],
  rejected: [],
  rate: { limit: 50, remaining: 10, resetSeconds: 1, retryAfterSeconds: null },
};

describe("pacing at the ceiling", () => {
  const pacer = () => new Pacer({ ratePerSecond: 50, backoffBaseMs: 1000, backoffMaxMs: 60_000 });

  test("a timer that fires a little late does not push back the slots after it", () => {
    const paced = pacer();
    paced.started(1000);
    paced.observe(answered, 1001);
    expect(paced.delayMs(1010)).toBe(10);
    // The second request starts 2 ms late: the third is still due at 1040, not 1042.
    paced.started(1022);
    expect(paced.delayMs(1030)).toBe(10);
  });

  test("a used-up window waits one slot of the provider's rate, not its whole-second reset", () => {
    const paced = new Pacer({ ratePerSecond: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 });
    const spent = {
      ...answered,
      rate: { ...answered.rate, limit: 2, remaining: 0, resetSeconds: 1 },
    };
    paced.started(1000);
    paced.observe(spent, 1030);
    // The provider allows 2 a second: the next may start half a second after this answer
    // (1530; its ceiling alone: 1200), not a whole second after it.
    expect(paced.delayMs(1030)).toBe(500);
    // Without its limit, the reset is all there is to go by.
    const blind = new Pacer({ ratePerSecond: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000 });
    blind.started(1000);
    blind.observe({ ...spent, rate: { ...spent.rate, limit: null } }, 1030);
    expect(blind.delayMs(1030)).toBe(1000);
  });

  test("a start long after its slot (idle, or held back) begins a new schedule: no burst", () => {
    const paced = pacer();
    paced.started(1000);
    paced.started(5000);
    expect(paced.delayMs(5000)).toBe(20);
  });
});

describe("the outbox's statements", () => {
  const planOf = async (statement: InStatement) => {
    if (typeof statement === "string") throw new Error("a statement with arguments expected");
    const { deps } = await testDeps([]);
    const result = await deps.db.client.execute({
      ...statement,
      sql: `explain query plan ${statement.sql}`,
    });
    return result.rows.map((row) => String(row.detail));
  };

  test("a claim reads only the claim index, in order: its cost does not grow with the queue", async () => {
    for (const statement of Object.values(
      claimStatements({ owner: "me", until: 2, now: 1 }, 100),
    )) {
      const plan = await planOf(statement);
      // No table reads (the bodies are in the table), no sort of every pending row.
      expect(plan.filter((step) => /SCAN outbox|TEMP B-TREE/.test(step))).toEqual([]);
      expect(plan.some((step) => step.includes("COVERING INDEX outbox_claim_idx"))).toBe(true);
    }
  });

  test("settling a batch finds its rows by id, not by walking every pending row", async () => {
    const held = [
      {
        id: "eml_1",
        runId: null,
        kind: "welcome",
        to: "a@b.c",
        subject: "s",
        attempts: 0,
      },
    ];
    for (const statement of [
      ...sentStatements([{ id: "eml_1", providerId: "p" }], 1),
      ...releaseStatements(held, "me"),
    ]) {
      const plan = await planOf(statement);
      expect(
        plan.filter((step) => step.includes("outbox_claim_idx") || step.includes("outbox_status")),
      ).toEqual([]);
      // The sent rows' bodies are deleted by their key too.
      const sql = typeof statement === "string" ? statement : statement.sql;
      const table = sql.includes("outbox_bodies") ? "outbox_bodies" : "outbox";
      expect(
        plan.some((step) =>
          new RegExp(
            `SEARCH ${table} USING ((COVERING )?INDEX sqlite_autoindex_${table}_1|PRIMARY KEY)`,
          ).test(step),
        ),
      ).toBe(true);
    }
  });
});

describe("settlements written in the background", () => {
  test("one refused settlement does not take the others queued with it", async () => {
    const { deps } = await testDeps([]);
    await deps.db.client.execute("create table settled (batch text primary key)");
    const errors: unknown[] = [];
    const settler = createSettler(outboxWrites(deps), (error) => errors.push(error));
    const mark = (batch: string) => [
      { sql: "insert into settled (batch) values (?)", args: [batch] },
    ];
    settler.add(mark("first"));
    // Queued while the first is written: these two go in one transaction, and one fails.
    settler.add(mark("first"));
    settler.add(mark("third"));
    await settler.idle();
    const rows = await deps.db.client.execute("select batch from settled order by batch");
    expect(rows.rows.map((row) => row.batch)).toEqual(["first", "third"]);
    expect(errors).toHaveLength(1);
  });
});
