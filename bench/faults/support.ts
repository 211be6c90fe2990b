import { join } from "node:path";
import { createTestDatabase } from "@roster/db/testing";

export const ROOT = join(import.meta.dir, "..", "..");

/**
 * The real service (`apps/api/src/main.ts`) as a child process on a given database file;
 * `startupLog` is what it printed until it listened.
 */
export async function spawnApi(env: Record<string, string>) {
  const child = Bun.spawn(["bun", join(ROOT, "apps", "api", "src", "main.ts")], {
    env: { ...process.env, PORT: "0", ROSTER_LOG_LEVEL: "warn", ...env },
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = child.stdout.getReader();
  let text = "";
  while (!/listening on (\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the API exited before it listened: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const url = (/listening on (\S+)/.exec(text) as RegExpExecArray)[1] as string;
  return { url, child, startupLog: text };
}

/**
 * A fresh database URL for a spawned service: a file, or with `ROSTER_TEST_DB=sqld` a sqld of
 * its own (it dies with this test process).
 */
export const tempDatabase = async () => (await createTestDatabase("faults")).url;

/** A small JSON client for the API with a bearer token. */
export function client(url: string) {
  let token = "";
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: {
        "content-type": "application/json",
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : null };
  };
  return {
    call,
    async login(tenant: string, email: string, password: string) {
      const result = await call("POST", "/api/auth/login", { tenant, email, password });
      if (result.status !== 200) throw new Error(`login: ${JSON.stringify(result.json)}`);
      token = result.json.token;
    },
  };
}

export async function until<T>(
  check: () => Promise<T | undefined | null | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}
