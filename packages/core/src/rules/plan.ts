import type { DirectoryUser, SyncOptions } from "@roster/connector-kit";
import { newId } from "@roster/db";
import { SYNCED_USER_TAG } from "../permissions.ts";
import type { KnownUser, UserIndex } from "../sync/user-index.ts";
import type { AliasBuilder } from "./aliases.ts";
import { type Issue, type IssueCode, issueOf } from "./issue.ts";
import { matchUser } from "./match.ts";
import { deriveNames } from "./names.ts";
import type { NewPin } from "./pin.ts";
import type { TakeoverGuard } from "./takeover.ts";

/** What one directory user leads to. `user` is the application user's state after it. */
export type Action =
  | { kind: "create"; user: KnownUser; pin: NewPin }
  | { kind: "restore"; user: KnownUser; pin: NewPin }
  | {
      kind: "update";
      user: KnownUser;
      /** Linked to this connection by this run: it now signs in through the directory. */
      converted: boolean;
      aliasesChanged: boolean;
      /** Aliases the user held that the template no longer gives (Preview shows them apart). */
      aliasesRemoved: readonly string[];
    }
  | { kind: "unchanged"; user: KnownUser }
  | { kind: "skipped" }
  | { kind: "held"; issue: Issue }
  | { kind: "failed"; issue: Issue };

export type Decision = { action: Action; warnings: Issue[] };

export type Planner = {
  plan(directoryUser: DirectoryUser): Decision;
  /** External ids of enabled directory users seen so far: everyone else is a deletion candidate. */
  seen: Set<string>;
  /** Lower-cased emails users of this run gave up (changed): another user may now take them. */
  freedEmails: Set<string>;
};

export type PlannerInput = {
  index: UserIndex;
  connectionId: string;
  options: SyncOptions;
  aliases: AliasBuilder;
  /** Draws a PIN not yet used in the tenant. */
  newPin(): NewPin;
  /** Whether the run may take over an existing application user (spec §4.11). */
  takeover: TakeoverGuard;
};

/**
 * The sync rules of spec §4–§5 for one directory user at a time. Pure decisions over the
 * in-memory index; the caller writes the actions. The index is updated as decisions are made.
 */
export function createPlanner(input: PlannerInput): Planner {
  const { index, connectionId, options } = input;
  const seen = new Set<string>();
  const freedEmails = new Set<string>();
  /** Lower-cased emails already claimed by a directory user in this run. */
  const claimedEmails = new Map<string, string>();

  /** Aliases the user may take: those free or already theirs; the rest become warnings. */
  const claimAliases = (user: DirectoryUser, ownerId: string, wanted: string[]) => {
    const granted: string[] = [];
    const warnings: Issue[] = [];
    for (const alias of wanted) {
      const owner = index.aliasOwner.get(alias.toLowerCase());
      if (owner && owner !== ownerId) {
        warnings.push(
          issueOf(
            user,
            "alias_taken",
            `The alias "${alias}" belongs to another user; it was not added.`,
          ),
        );
        continue;
      }
      granted.push(alias);
    }
    return { granted, warnings };
  };

  const assignAliases = (known: KnownUser, aliases: string[]) => {
    for (const alias of known.aliases) index.aliasOwner.delete(alias.toLowerCase());
    known.aliases = aliases;
    for (const alias of aliases) index.aliasOwner.set(alias.toLowerCase(), known.id);
  };

  const plan = (user: DirectoryUser): Decision => {
    const fail = (code: IssueCode, message: string) => ({
      action: { kind: "failed", issue: issueOf(user, code, message) } as Action,
      warnings: [],
    });
    const matched = matchUser(index, user);

    // spec §4.7: disabled accounts are not synchronized (and count as missing for deletion).
    if (!user.enabled) return { action: { kind: "skipped" }, warnings: [] };
    seen.add(user.externalId);

    if (user.emailRefused) {
      return fail(
        "invalid_email",
        "The directory's email for this user is not one valid email address.",
      );
    }
    if (!user.email) {
      return fail(
        "no_email",
        "The directory has no email address for this user (no mail, and the user principal name is not a usable address).",
      );
    }
    const emailKey = user.email.toLowerCase();
    const claimedBy = claimedEmails.get(emailKey);
    if (claimedBy && claimedBy !== user.externalId) {
      return fail(
        "duplicate_email",
        `Another directory user in this run already has the email ${user.email}.`,
      );
    }
    claimedEmails.set(emailKey, user.externalId);

    const names = deriveNames(user, options.allowDisplayName);
    if (!names) {
      return fail(
        "missing_names",
        options.allowDisplayName
          ? "The directory has neither first and last name nor a display name for this user."
          : "The directory lacks the first or last name; turn on \"Allow use 'Display name'\" to derive them from the display name.",
      );
    }

    const linkedHere =
      matched?.connectionId === connectionId && matched.externalId === user.externalId;
    // An existing application user not created by this connection: only with "Manage existing users".
    if (matched && !matched.deleted && !linkedHere && !options.manageExistingUsers) {
      return { action: { kind: "skipped" }, warnings: [] };
    }
    // Taking a new email that another application user already holds would break uniqueness.
    const emailOwner = index.byEmail.get(emailKey);
    if (matched && emailOwner && emailOwner !== matched) {
      return fail(
        "email_taken",
        `The email ${user.email} belongs to another user of the application.`,
      );
    }

    if (matched) {
      const verdict = input.takeover.check(matched, linkedHere);
      if (verdict.kind === "leave") return { action: { kind: "skipped" }, warnings: [] };
      if (verdict.kind === "hold") {
        const message = `Not ${matched.deleted ? "restored" : "linked"}: this user ${verdict.reason}; an administrator must confirm before the directory takes the account over.`;
        const issue = { ...issueOf(user, "needs_confirmation", message), userId: matched.id };
        return { action: { kind: "held", issue }, warnings: [] };
      }
      if (verdict.kind === "keep_last_administrator") {
        const message =
          "Not linked: the last administrator of user synchronization keeps signing in as before.";
        return {
          action: { kind: "skipped" },
          warnings: [issueOf(user, "last_administrator_kept", message)],
        };
      }
    }

    const ownerId = matched?.id ?? newId("usr");
    const { granted, warnings } = claimAliases(user, ownerId, input.aliases(user.attributes));

    if (!matched) {
      const known: KnownUser = {
        id: ownerId,
        email: user.email,
        firstName: names.firstName,
        lastName: names.lastName,
        tags: [SYNCED_USER_TAG],
        connectionId,
        externalId: user.externalId,
        deleted: false,
        aliases: [],
        privileged: false,
        hasPassword: false,
      };
      index.put(known, connectionId);
      assignAliases(known, granted);
      return { action: { kind: "create", user: known, pin: input.newPin() }, warnings };
    }

    // Compare before changing anything: most users of a daily run are unchanged.
    const emailChanged = matched.email !== user.email;
    const renamed = matched.firstName !== names.firstName || matched.lastName !== names.lastName;
    const untagged = !matched.tags.includes(SYNCED_USER_TAG);
    const relinked = !linkedHere;
    const aliasesChanged = !sameAliases(matched.aliases, granted);
    const aliasesRemoved = aliasesChanged ? removedAliases(matched.aliases, granted) : [];
    if (emailChanged) {
      freedEmails.add(matched.email.toLowerCase());
      index.changeEmail(matched, user.email);
    }
    matched.firstName = names.firstName;
    matched.lastName = names.lastName;
    if (untagged) matched.tags = [...matched.tags, SYNCED_USER_TAG];
    if (relinked) {
      matched.connectionId = connectionId;
      matched.externalId = user.externalId;
      matched.hasPassword = false;
      index.put(matched, connectionId);
    }
    if (aliasesChanged) assignAliases(matched, granted);

    if (matched.deleted) {
      matched.deleted = false;
      // A restored user comes back with the role User only (spec §4.11).
      matched.privileged = false;
      return { action: { kind: "restore", user: matched, pin: input.newPin() }, warnings };
    }
    return emailChanged || renamed || untagged || relinked || aliasesChanged
      ? {
          action: {
            kind: "update",
            user: matched,
            converted: relinked,
            aliasesChanged,
            aliasesRemoved,
          },
          warnings,
        }
      : { action: { kind: "unchanged", user: matched }, warnings };
  };

  return { plan, seen, freedEmails };
}

/** Same aliases regardless of order (the database returns them in its own order). */
const sameAliases = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && b.every((alias) => a.includes(alias));

/** Aliases in `before` that `after` lacks, compared case-insensitively. */
function removedAliases(before: readonly string[], after: readonly string[]): string[] {
  const kept = new Set(after.map((alias) => alias.toLowerCase()));
  return before.filter((alias) => !kept.has(alias.toLowerCase()));
}
