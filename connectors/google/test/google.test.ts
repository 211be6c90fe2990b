import { describe, expect, test } from "bun:test";
import { ConnectorError } from "@roster/connector-kit";
import { googleWorkspace } from "../src/index.ts";

const connector = googleWorkspace();
const log = { debug() {}, info() {}, warn() {}, error() {} };
const settings = connector.settings.parse({ adminEmail: "admin@example.com" });

describe("Google Workspace (coming soon)", () => {
  test("is listed as coming soon with defaults for the sync options", () => {
    expect(connector.status).toBe("coming-soon");
    expect(settings).toMatchObject({ customerId: "my_customer", aliasTemplate: "%primaryEmail%" });
  });

  test("refuses to connect with a clear message", async () => {
    const result = await connector.connect({ settings, secret: "{}", log });
    expect(result).toMatchObject({ ok: false, code: "connector_unavailable" });
    if (!result.ok) expect(result.message).toContain("coming soon");
  });

  test("a read fails with connector_unavailable instead of returning nobody", async () => {
    const read = async () => {
      for await (const _ of connector.readUsers({ settings, secret: "{}", log, fields: [] })) {
      }
    };
    expect(read()).rejects.toBeInstanceOf(ConnectorError);
  });

  test("validates org units and alias fields", () => {
    const bad = connector.settings.safeParse({
      adminEmail: "admin@example.com",
      orgUnits: ["Sales"],
      aliasTemplate: "%nope%",
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((issue) => issue.path[0])).toEqual(["orgUnits", "aliasTemplate"]);
  });
});
