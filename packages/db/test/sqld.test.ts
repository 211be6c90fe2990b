import { expect, test } from "bun:test";
import { join } from "node:path";
import { createDb } from "../src/client.ts";
import { startSqld } from "../src/testing/sqld.ts";

async function answers(url: string) {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

test("startSqld serves a database on 127.0.0.1 and stop() ends it", async () => {
  const server = await startSqld();
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const db = await createDb({ url: server.url });
  await db.client.execute("CREATE TABLE t (x)");
  await db.client.execute("INSERT INTO t VALUES (42)");
  expect((await db.client.execute("SELECT x FROM t")).rows[0]?.x).toBe(42);
  db.close();
  await server.stop();
  expect(await answers(server.url)).toBe(false);
});

for (const parentDeath of ["setpriv", "stdin"] as const) {
  test(`sqld dies with the test process even when it is killed with SIGKILL (${parentDeath})`, async () => {
    const holder = Bun.spawn(
      ["bun", join(import.meta.dir, "fixtures", "hold-sqld.ts"), parentDeath],
      { stdout: "pipe", stderr: "inherit" },
    );
    const reader = holder.stdout.getReader();
    const { value } = await reader.read();
    const url = new TextDecoder().decode(value).trim();
    expect(await answers(url)).toBe(true);
    holder.kill("SIGKILL"); // no exit handler runs
    await holder.exited;
    const deadline = Date.now() + 10_000;
    while ((await answers(url)) && Date.now() < deadline) await Bun.sleep(100);
    expect(await answers(url)).toBe(false);
  });

  // What bun test does to a server still running at the end of a file ("killed N dangling
  // processes"): the process it spawned is killed, and sqld must go with it.
  test(`sqld dies when the process the helper spawned is killed (${parentDeath})`, async () => {
    const server = await startSqld({ parentDeath });
    process.kill(server.pid, "SIGTERM");
    const deadline = Date.now() + 10_000;
    while ((await answers(server.url)) && Date.now() < deadline) await Bun.sleep(100);
    expect(await answers(server.url)).toBe(false);
    await server.stop();
  });
}
