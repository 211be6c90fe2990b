import type { RunCounts, RunPhase, RunProgress } from "@roster/db";

/** Told where a run or preview is, at every page boundary and phase change. */
export type ProgressListener = (progress: RunProgress) => void;

/**
 * Progress of one synchronization: the phase, the pages and users read, the counts so far.
 * Reports go to the listener as they happen; the listener decides how often to persist them.
 */
export function createProgress(
  counts: RunCounts,
  listener: ProgressListener | undefined,
  now: () => number = Date.now,
) {
  let phase: RunPhase = "reading";
  let pagesRead = 0;
  let usersRead = 0;
  const report = () =>
    listener?.({ phase, pagesRead, usersRead, counts: { ...counts }, at: now() });
  report();
  return {
    /** A page was read and decided. */
    page(users: number) {
      pagesRead += 1;
      usersRead += users;
      report();
    },
    phase(next: RunPhase) {
      if (next === phase) return;
      phase = next;
      report();
    },
  };
}
