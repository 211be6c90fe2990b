import { afterAll, describe, expect, test } from "bun:test";
import { createEmailTransport, type EmailMessage, welcomeEmail } from "../src/index.ts";
import { startFakeResend } from "../src/testing.ts";

const fakes: Array<{ stop(): void }> = [];
afterAll(() => {
  for (const fake of fakes) fake.stop();
});
const fake = (options: Parameters<typeof startFakeResend>[0] = {}) => {
  const started = startFakeResend({ apiKey: "re_key", rateLimit: 1000, ...(options as object) });
  fakes.push(started);
  return started;
};
const transportTo = (url: string, key = "re_key") =>
  createEmailTransport({ resendApiKey: key, resendBaseUrl: url, from: "a@b.c" });

const mail = welcomeEmail({
  to: "ada@example.com",
  firstName: "Ada <script>",
  appName: "Roster",
  tenantName: "Contoso",
  pin: "482913",
  restored: false,
});
const mails = (count: number, prefix = "u"): EmailMessage[] =>
  Array.from({ length: count }, (_, i) => ({ ...mail, to: `${prefix}${i}@example.com` }));

describe("email transport", () => {
  test("without a key every message stays in the local outbox", async () => {
    const transport = createEmailTransport({});
    expect(transport.kind).toBe("outbox");
    expect(await transport.sendBatch([mail], "k1")).toMatchObject({ ok: true, ids: [null] });
  });

  test("a batch goes out in one request with its idempotency key, one id per message", async () => {
    const resend = fake();
    const result = await transportTo(resend.url).sendBatch(mails(3), "batch-1");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ids).toEqual(resend.delivered.map((email) => email.id));
    expect(resend.requests).toHaveLength(1);
    expect(resend.requests[0]).toMatchObject({ path: "/emails/batch", emails: 3 });
    expect(resend.delivered[0]).toMatchObject({
      from: "a@b.c",
      to: ["u0@example.com"],
      subject: "Your Roster PIN",
      idempotencyKey: "batch-1",
    });
    expect(result.rate.remaining).toBeGreaterThan(0);
  });

  test("the same key and messages again replays the same ids and sends nothing", async () => {
    const resend = fake();
    const transport = transportTo(resend.url);
    const first = await transport.sendBatch(mails(2), "same");
    const again = await transport.sendBatch(mails(2), "same");
    expect(again).toMatchObject({ ok: true, ids: first.ok ? first.ids : [] });
    expect(resend.delivered).toHaveLength(2);
    expect(resend.requests[1]?.replayed).toBe(true);
  });

  test("the same key with other messages is Resend's 409, retried later, nothing sent", async () => {
    const resend = fake();
    const transport = transportTo(resend.url);
    await transport.sendBatch(mails(2), "reused");
    const other = await transport.sendBatch(mails(2, "v"), "reused");
    expect(other).toMatchObject({ ok: false, status: 409, kind: "transient" });
    expect(resend.delivered).toHaveLength(2);
  });

  test("a refused recipient fails only its message; the others are sent", async () => {
    const resend = fake({ refused: ["u1@example.com"] });
    const result = await transportTo(resend.url).sendBatch(mails(3), "partial");
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.ids[1]).toBeNull();
    expect(result.ids.filter(Boolean)).toHaveLength(2);
    expect(result.rejected).toEqual([{ index: 1, message: expect.stringContaining("`to`") }]);
    expect(resend.delivered.map((email) => email.to[0])).toEqual([
      "u0@example.com",
      "u2@example.com",
    ]);
  });

  test("over the rate limit: 429 rate_limited, with Resend's headers read", async () => {
    const resend = fake({ rateLimit: 2 });
    const transport = transportTo(resend.url);
    await transport.sendBatch(mails(1), "r1");
    await transport.sendBatch(mails(1, "w"), "r2");
    const third = await transport.sendBatch(mails(1, "x"), "r3");
    expect(third).toMatchObject({
      ok: false,
      status: 429,
      kind: "rate_limited",
      rate: { remaining: 0, retryAfterSeconds: 1 },
    });
    expect(resend.delivered).toHaveLength(2);
  });

  test("a 5xx and a dropped connection are transient; a wrong key too (the operator fixes it)", async () => {
    const resend = fake();
    const transport = transportTo(resend.url);
    resend.failNext(1, 503);
    expect(await transport.sendBatch(mails(1), "f1")).toMatchObject({
      ok: false,
      status: 503,
      kind: "transient",
    });
    resend.dropNext(1);
    expect(await transport.sendBatch(mails(1), "f2")).toMatchObject({
      ok: false,
      status: null,
      kind: "transient",
    });
    // The dropped request was processed: its retry with the same key sends nothing new.
    const retried = await transport.sendBatch(mails(1), "f2");
    expect(retried.ok).toBe(true);
    expect(resend.delivered).toHaveLength(1);
    expect(await transportTo(resend.url, "re_wrong").sendBatch(mails(1), "f3")).toMatchObject({
      ok: false,
      status: 403,
      kind: "transient",
    });
  });

  test("more than 100 emails, or a strict batch with one bad recipient, is refused whole", async () => {
    const resend = fake({ refused: ["u0@example.com"] });
    const response = await fetch(`${resend.url}/emails/batch`, {
      method: "POST",
      headers: { authorization: "Bearer re_key", "content-type": "application/json" },
      body: JSON.stringify(mails(2).map((m) => ({ ...m, from: "a@b.c" }))),
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({ name: "validation_error", statusCode: 422 });
    const tooMany = await transportTo(resend.url).sendBatch(mails(101, "y"), "big");
    expect(tooMany).toMatchObject({ ok: false, status: 422, kind: "rejected" });
    expect(resend.delivered).toHaveLength(0);
  });
});

describe("templates", () => {
  test("the welcome email carries the PIN and escapes names in HTML", () => {
    expect(mail.text).toContain("482913");
    expect(mail.html).toContain("Ada &lt;script&gt;");
    expect(mail.html).not.toContain("<script>");
  });
});
