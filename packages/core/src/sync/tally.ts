import type { DirectoryUser } from "@roster/connector-kit";
import type { RunCounts } from "@roster/db";
import type { Action } from "../rules/plan.ts";
import type { KnownUser } from "./user-index.ts";

export type Sample = {
  externalId: string | null;
  email: string | null;
  name: string | null;
  reason?: string;
};

export type SampleKind =
  | "created"
  | "updated"
  | "restored"
  | "deleted"
  | "failed"
  | "aliasesRemoved"
  | "held";

const SAMPLE_SIZE = 10;

export const emptyCounts = (): RunCounts => ({
  created: 0,
  updated: 0,
  restored: 0,
  deleted: 0,
  skipped: 0,
  unchanged: 0,
  failed: 0,
});

const COUNTED = {
  create: "created",
  restore: "restored",
  update: "updated",
  unchanged: "unchanged",
  skipped: "skipped",
  // Held for an administrator's confirmation: nothing was written for it.
  held: "skipped",
  failed: "failed",
} as const satisfies Record<Action["kind"], keyof RunCounts>;

/**
 * A run's counts and the first users of each kind of change (Preview shows them). Of the
 * updates, those that take aliases away are also counted apart: a template change that
 * strips every user's aliases must stand out before it is run.
 */
export function createTally() {
  const counts = emptyCounts();
  let aliasesRemoved = 0;
  const samples: Record<SampleKind, Sample[]> = {
    created: [],
    updated: [],
    restored: [],
    deleted: [],
    failed: [],
    aliasesRemoved: [],
    held: [],
  };
  let held = 0;
  const sample = (kind: SampleKind, entry: Sample) => {
    if (samples[kind].length < SAMPLE_SIZE) samples[kind].push(entry);
  };
  return {
    counts,
    /** How the run ended, with everything counted so far. */
    result: (
      outcome: "succeeded" | "completed_with_errors" | "needs_review" | "failed",
      error: string | null = null,
      pendingDeletions = 0,
    ) => ({ outcome, error, counts, aliasesRemoved, held, pendingDeletions, samples }),
    /** Existing users held until an administrator confirms taking them over. */
    get held() {
      return held;
    },
    decided(action: Action, user: DirectoryUser) {
      counts[COUNTED[action.kind]] += 1;
      const entry = { externalId: user.externalId, email: user.email, name: user.displayName };
      if (action.kind === "failed") sample("failed", { ...entry, reason: action.issue.message });
      else if (action.kind === "held") {
        held += 1;
        sample("held", { ...entry, reason: action.issue.message });
      } else if (action.kind === "update" && action.aliasesRemoved.length > 0) {
        aliasesRemoved += 1;
        sample("aliasesRemoved", {
          ...entry,
          reason: `removes ${action.aliasesRemoved.join(", ")}`,
        });
      } else if (action.kind === "create" || action.kind === "restore" || action.kind === "update")
        sample(COUNTED[action.kind], entry);
    },
    /** A user the database refused counts as failed instead of its planned kind. */
    refused(action: Action) {
      counts[COUNTED[action.kind]] -= 1;
      counts.failed += 1;
    },
    deletions(users: readonly KnownUser[], done: boolean) {
      if (done) counts.deleted = users.length;
      for (const user of users)
        sample("deleted", {
          externalId: user.externalId,
          email: user.email,
          name: `${user.firstName} ${user.lastName}`,
        });
    },
  };
}

export type Tally = ReturnType<typeof createTally>;
