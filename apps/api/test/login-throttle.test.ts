/**
 * Issue 12, finding 5: the login rate limit trusted any X-Forwarded-For, keyed on untrimmed
 * input, and without a proxy put every client on one key, so anyone could lock out anyone.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { testApi } from "./support.ts";

type Api = Awaited<ReturnType<typeof testApi>>;

// Each wrong password costs an argon2 verification (~50 ms idle, several times that on a busy machine).
setDefaultTimeout(30_000);

let api: Api;
let password: string;
let clock = 1_000_000;

beforeAll(async () => {
  api = await testApi({
    app: {
      trustedProxies: ["10.0.0.0/8", "fd00::/8"],
      loginThrottle: {
        perAddress: 12,
        freeFailures: 3,
        accountFreeFailures: 8,
        baseDelayMs: 1_000,
        maxDelayMs: 60_000,
        now: () => clock,
      },
    },
  });
  ({ password } = await api.createTenant("acme"));
});
afterAll(() => api.stop());

const attempt = (
  body: { tenant?: string; email?: string; password?: string },
  from: string,
  forwardedFor?: string,
) =>
  api.call("POST", "/api/auth/login", {
    from,
    headers: forwardedFor ? { "x-forwarded-for": forwardedFor } : {},
    body: { tenant: "acme", email: "admin@acme.test", password: "not-the-password", ...body },
  });

/** A fresh window for every test: move the fake clock past every wait. */
const later = () => {
  clock += 10 * 60_000;
};

describe("login throttling", () => {
  test("rotating X-Forwarded-For from an untrusted peer does not escape the limit", async () => {
    later();
    const statuses = [];
    for (let i = 0; i < 15; i += 1) {
      statuses.push((await attempt({}, "203.0.113.5", `198.51.100.${i}`)).status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3).every((status) => status === 429)).toBe(true);
  });

  test("behind a trusted proxy the client is the rightmost untrusted hop; forged hops left of it do not help", async () => {
    later();
    const statuses = [];
    for (let i = 0; i < 8; i += 1) {
      // The client forges a first hop; the proxy (10.0.0.7) appends the address it saw.
      statuses.push((await attempt({}, "10.0.0.7", `192.0.2.${i}, 198.51.100.77`)).status);
    }
    expect(statuses.slice(3).every((status) => status === 429)).toBe(true);
    // Another client behind the same proxy signs in at once.
    const other = await attempt({ password }, "10.0.0.7", "198.51.100.78");
    expect(other.status).toBe(200);
    // Through two trusted proxies (an IPv6 one in front), the same client is still limited.
    const chained = await attempt({}, "fd00::2", "198.51.100.77, 10.1.2.3");
    expect(chained.status).toBe(429);
  });

  test("tenant and email are trimmed and lower-cased before they are counted", async () => {
    later();
    const spellings = [
      { tenant: "acme", email: "admin@acme.test" },
      { tenant: " ACME ", email: "admin@acme.test" },
      { tenant: "acme", email: " Admin@ACME.test  " },
      { tenant: "Acme", email: "ADMIN@acme.test\t" },
    ];
    const statuses = [];
    for (const spelling of spellings)
      statuses.push((await attempt(spelling, "203.0.113.9")).status);
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  test("one address cannot spray many accounts", async () => {
    later();
    const statuses = [];
    for (let i = 0; i < 14; i += 1) {
      statuses.push((await attempt({ email: `user${i}@acme.test` }, "203.0.113.10")).status);
    }
    expect(statuses.slice(0, 12).every((status) => status === 401)).toBe(true);
    expect(statuses.slice(12)).toEqual([429, 429]);
    const retry = (await attempt({ email: "user99@acme.test" }, "203.0.113.10")).json.error;
    expect(retry.details.retryAfterSeconds).toBeGreaterThan(0);
    expect(retry.details.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  test("one client's failures never lock the owner out, and the client itself only waits (backoff, not a lock)", async () => {
    later();
    // Without any proxy: the attacker and the owner are told apart by their own addresses.
    for (let i = 0; i < 10; i += 1) await attempt({}, "203.0.113.66");
    const owner = await attempt({ password }, "192.0.2.10");
    expect(owner.status).toBe(200);

    later();
    const waits = [];
    for (let i = 0; i < 3; i += 1) await attempt({}, "203.0.113.67");
    for (let i = 0; i < 4; i += 1) {
      const refused = await attempt({}, "203.0.113.67");
      expect(refused.status).toBe(429);
      const wait = refused.json.error.details.retryAfterSeconds as number;
      waits.push(wait);
      clock += wait * 1000;
      // After the wait the next guess is checked again (and fails, so the wait doubles).
      expect((await attempt({}, "203.0.113.67")).status).toBe(401);
    }
    expect(waits).toEqual([1, 2, 4, 8]);
  });

  test("guessing spread over many addresses slows the account, except where its owner signed in before", async () => {
    later();
    expect((await attempt({ password }, "192.0.2.20")).status).toBe(200);
    for (let i = 0; i < 8; i += 1) await attempt({}, `203.0.113.${100 + i}`);
    const stranger = await attempt({}, "203.0.113.200");
    expect(stranger.status).toBe(429);
    const familiar = await attempt({ password }, "192.0.2.20");
    expect(familiar.status).toBe(200);
    // The owner's success forgives the account's failures: a stranger is heard again.
    expect((await attempt({}, "203.0.113.201")).status).toBe(401);
  });
});
