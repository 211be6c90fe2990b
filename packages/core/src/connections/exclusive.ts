import { randomBytes } from "node:crypto";
import { newId } from "@roster/db";
import type { CoreDeps } from "../context.ts";
import { DomainError } from "../errors.ts";

export type ExclusiveKind = "preview" | "connect";

/** What runs now, per database handle: tests with their own database never share it. */
const runningByDb = new WeakMap<object, Map<string, string>>();

/**
 * Runs `work` unless the same kind of work already runs for this connection in this
 * process; then answers 409 `preview_in_progress` / `connect_in_progress` with the running
 * one's id. A preview reads the whole directory and a connect reads every selected group,
 * so thirty at once slowed every other request (issue 12, finding 6). Each API process
 * keeps its own list: with several instances each lets one through.
 */
export async function exclusively<T>(
  deps: CoreDeps,
  kind: ExclusiveKind,
  connectionId: string,
  work: (operationId: string) => Promise<T>,
): Promise<T> {
  let running = runningByDb.get(deps.db);
  if (!running) {
    running = new Map();
    runningByDb.set(deps.db, running);
  }
  const key = `${kind}:${connectionId}`;
  const current = running.get(key);
  if (current) {
    throw new DomainError(
      `${kind}_in_progress`,
      kind === "preview"
        ? "A preview of this connection is already running; wait for it to finish."
        : "A connect of this connection is already running; wait for it to finish.",
      { id: current },
    );
  }
  // A preview's id is its record's (`sync_previews`): time-ordered, so the latest sorts last.
  const operationId =
    kind === "preview" ? newId("prv") : `cnt_${randomBytes(9).toString("base64url")}`;
  running.set(key, operationId);
  try {
    return await work(operationId);
  } finally {
    running.delete(key);
  }
}
