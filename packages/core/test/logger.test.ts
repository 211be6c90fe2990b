import { describe, expect, test } from "bun:test";
import { newId, users } from "@roster/db";
import { errorMessage, memoryLogger, redact } from "../src/logger.ts";
import { seedTenant, testDeps } from "./support.ts";

describe("logger", () => {
  test("writes one JSON line per entry with its fields", () => {
    const log = memoryLogger();
    log.child({ requestId: "req_1" }).info("user created", { userId: "usr_1" });
    const entry = JSON.parse(log.lines[0] ?? "{}");
    expect(entry).toMatchObject({
      level: "info",
      message: "user created",
      requestId: "req_1",
      userId: "usr_1",
    });
  });

  test("never writes secrets, PINs, passwords or tokens, however deep", () => {
    const log = memoryLogger();
    log.warn("login", {
      password: "hunter2",
      body: { clientSecret: "abc", nested: { pin: "123456", token: "tok-value-9" } },
      headers: { authorization: "Bearer xyz" },
    });
    const line = log.lines.join("\n");
    for (const leaked of ["hunter2", "abc", "123456", "tok-value-9", "Bearer xyz"]) {
      expect(line).not.toContain(leaked);
    }
  });

  test("redacts by whole words of the field name", () => {
    expect(
      redact({ apiKey: "k", pinHash: "h", access_token: "t", mapping: "m", spinner: "s" }),
    ).toEqual({
      apiKey: "[redacted]",
      pinHash: "[redacted]",
      access_token: "[redacted]",
      mapping: "m",
      spinner: "s",
    });
  });

  test("keeps only name and message of an error", () => {
    const error = new Error("boom");
    expect(redact({ error })).toEqual({ error: { name: "Error", message: "boom" } });
  });
});

describe("a failed query in the logs", () => {
  test("shows the statement, never a bound parameter: as message, stack or error object", async () => {
    const { deps } = await testDeps([]);
    const { tenantId } = await seedTenant(deps, "logs");
    const insert = (email: string) =>
      deps.db.db.insert(users).values({
        id: newId("usr"),
        tenantId,
        email,
        firstName: "Private-First-Name",
        lastName: "Private-Last-Name",
        signIn: "password",
        createdAt: new Date(),
        updatedAt: new Date(),
      });
    await insert("ann.private@contoso.example");
    const error = (await insert("ann.private@contoso.example").catch((e) => e)) as Error;
    // Drizzle's own message lists every value: the reason this test exists.
    expect(error.message).toContain("ann.private@contoso.example");

    const log = memoryLogger();
    log.error("request failed", { error: error.message, stack: error.stack });
    log.error("sync failed", { error, nested: { errors: [String(error)] } });
    log.error(error.message);
    expect(log.lines).toHaveLength(3);
    for (const line of log.lines) {
      expect(line).toContain('insert into \\"users\\"');
      expect(line).not.toContain("ann.private");
      expect(line).not.toContain("Private-First-Name");
      expect(line).not.toContain("params:");
    }
    expect(errorMessage(error)).toStartWith('Failed query: insert into "users"');
    expect(errorMessage(error)).not.toContain("ann.private");
    expect(errorMessage(new Error("plain failure"))).toBe("plain failure");
    deps.db.close();
  });
});
