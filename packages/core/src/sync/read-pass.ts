import type { ChangesEnd } from "@roster/connector-kit";
import type { CoreDeps } from "../context.ts";
import { changeIndexer } from "./change-index.ts";
import { letRequestsIn } from "./event-loop.ts";
import { forEachPage } from "./read.ts";
import type { RunSetup } from "./run-setup.ts";
import type { SyncTarget } from "./synchronize.ts";

/** Failures a later change can mend: the email was another user's. */
const EMAIL_CONFLICTS = new Set(["duplicate_email", "email_taken"]);

/** What reading the directory told the run beyond its decisions. */
export type ReadPass = {
  /** The next change cursor (null for a connector without change reads). */
  cursor: ChangesEnd | null;
  /** Directory ids a run reading changes learnt are gone (removed or disabled). */
  gone: Set<string>;
  /** Lower-cased emails users failed for because another user holds them. */
  conflicts: Set<string>;
};

/**
 * Reads the directory page by page (everything, or the changes), plans each user and hands
 * the decisions to the writer; throws what the read or a write threw.
 */
export async function readPass(
  deps: CoreDeps,
  target: SyncTarget,
  run: RunSetup,
): Promise<ReadPass> {
  const { planner, tally, queue, index, options } = run;
  const indexChanges = run.incremental ? changeIndexer(deps, target, options, index) : null;
  const gone = new Set<string>();
  const conflicts = new Set<string>();
  const cursor = await forEachPage(run.pages, async (page) => {
    await indexChanges?.(page);
    for (const user of page.upserted) {
      const decision = planner.plan(user);
      tally.decided(decision.action, user);
      queue?.add(decision);
      const { action } = decision;
      if (!user.enabled) gone.add(user.externalId);
      if (action.kind === "failed" && EMAIL_CONFLICTS.has(action.issue.code) && user.email)
        conflicts.add(user.email.toLowerCase());
    }
    for (const removal of page.removed) gone.add(removal.externalId);
    await queue?.offer();
    run.progress.page(page.upserted.length + page.removed.length);
    run.input.signal?.throwIfAborted();
    // A page read ahead is ready at once: without this, pages follow each other without
    // letting a single request in.
    await letRequestsIn();
  });
  run.progress.phase("writing");
  await queue?.drain();
  return { cursor, gone, conflicts };
}
