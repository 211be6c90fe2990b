import { describe, expect, test } from "bun:test";
import { memoryLogger, redact } from "../src/logger.ts";

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
