import { afterAll, beforeAll, expect, test } from "bun:test";
import { type EntraSim, generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";
import { createOidcConfigurations } from "../src/identity/sso/oidc-configurations.ts";

let sim: EntraSim;
let entra: ReturnType<typeof generateTenant>;

beforeAll(async () => {
  const directory = new SimDirectory();
  entra = generateTenant(directory, { users: 1, seed: 3 });
  sim = await startEntraSim({ directory });
});
afterAll(() => sim.stop());

const client = (overrides: Partial<{ issuer: string; clientSecret: string }> = {}) => ({
  issuer: `${sim.url}/${entra.tenantId}/v2.0`,
  clientId: entra.clientId,
  clientSecret: entra.secret,
  ...overrides,
});

test("discovery is cached per connection and rebuilt when its client changes", async () => {
  const configurations = createOidcConfigurations();
  const first = await configurations.get("con_a", client());
  expect(await configurations.get("con_a", client())).toBe(first);
  expect(await configurations.get("con_b", client())).not.toBe(first);
  const rotated = await configurations.get("con_a", client({ clientSecret: "new-secret" }));
  expect(rotated).not.toBe(first);
  expect(rotated.serverMetadata().issuer).toBe(`${sim.url}/${entra.tenantId}/v2.0`);
});

test("a failed discovery is not kept: the next sign-in tries again", async () => {
  const configurations = createOidcConfigurations();
  const unknown = client({ issuer: `${sim.url}/${crypto.randomUUID()}/v2.0` });
  const failed = configurations.get("con_c", unknown);
  await expect(failed).rejects.toThrow();
  const retried = configurations.get("con_c", unknown);
  expect(retried).not.toBe(failed);
  await expect(retried).rejects.toThrow();
});
