import type { CoreDeps, EmailDispatcherOptions } from "../src/index.ts";
import { startEmailDispatcher } from "../src/index.ts";

/** Starts the real dispatcher on `deps` (woken by the runs, as in the service). */
export function withDispatcher(deps: CoreDeps, options: EmailDispatcherOptions = {}) {
  const dispatcher = startEmailDispatcher(deps, options);
  deps.emailDispatcher = dispatcher;
  return dispatcher;
}

/** Waits until no outbox row is pending (or the timeout). */
export async function untilSettled(deps: CoreDeps, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await deps.db.client.execute(
      "select count(*) as n from outbox where status = 'pending'",
    );
    if (Number(result.rows[0]?.n) === 0) return;
    if (Date.now() > deadline) throw new Error("outbox rows still pending");
    await Bun.sleep(25);
  }
}
