import { afterAll, describe, expect, test } from "bun:test";
import { createEmailTransport, welcomeEmail } from "../src/index.ts";
import { startFakeResend } from "../src/testing.ts";

const fake = startFakeResend("re_key");
afterAll(() => fake.stop());

const mail = welcomeEmail({
  to: "ada@example.com",
  firstName: "Ada <script>",
  appName: "Roster",
  tenantName: "Contoso",
  pin: "482913",
  restored: false,
});

describe("email transport", () => {
  test("without a key every message stays in the local outbox", async () => {
    const transport = createEmailTransport({});
    expect(transport.kind).toBe("outbox");
    expect(await transport.send(mail, "k1")).toEqual({ ok: true, providerId: null });
  });

  test("with a key it delivers through Resend with an idempotency key", async () => {
    const transport = createEmailTransport({
      resendApiKey: "re_key",
      resendBaseUrl: fake.url,
      from: "a@b.c",
    });
    const result = await transport.send(mail, "welcome:u1");
    expect(result.ok).toBe(true);
    expect(fake.received.at(-1)).toMatchObject({
      from: "a@b.c",
      to: "ada@example.com",
      subject: "Your Roster PIN",
      idempotencyKey: "welcome:u1",
    });
  });

  test("a Resend failure is returned, not thrown", async () => {
    const transport = createEmailTransport({ resendApiKey: "re_key", resendBaseUrl: fake.url });
    fake.failNext(1, 503);
    const result = await transport.send(mail, "k2");
    expect(result).toEqual({ ok: false, error: expect.stringContaining("Unavailable") });
  });

  test("a wrong key is reported as a failure", async () => {
    const transport = createEmailTransport({ resendApiKey: "re_wrong", resendBaseUrl: fake.url });
    const result = await transport.send(mail, "k3");
    expect(result.ok).toBe(false);
  });
});

describe("templates", () => {
  test("the welcome email carries the PIN and escapes names in HTML", () => {
    expect(mail.text).toContain("482913");
    expect(mail.html).toContain("Ada &lt;script&gt;");
    expect(mail.html).not.toContain("<script>");
  });
});
