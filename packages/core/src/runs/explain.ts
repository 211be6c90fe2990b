import type { DirectoryUser } from "@roster/connector-kit";
import type { AliasBuilder } from "../rules/aliases.ts";
import { matchUser } from "../rules/match.ts";
import type { Action, Decision, Planner } from "../rules/plan.ts";
import type { KnownUser, UserIndex } from "../sync/user-index.ts";

/** One attribute of the application user, before and after the decision. */
export type AttributeChange = { field: string; before: string | null; after: string | null };

/** Why one directory user led to what it led to, in words an administrator can act on. */
export type Explanation = {
  directoryUser: {
    externalId: string;
    email: string | null;
    displayName: string | null;
    givenName: string | null;
    surname: string | null;
    enabled: boolean;
  };
  inScope: boolean;
  /** Which application user it is: by the directory id this connection synced, by email, or none. */
  match: {
    by: "directory_id" | "email" | "none";
    userId: string | null;
    email: string | null;
    deleted: boolean;
    /** The connection that synced the matched user (null: created in the application). */
    connectionId: string | null;
  };
  action: Action["kind"];
  /** The rule that decided, as a stable code and a sentence. */
  rule: { code: string; text: string };
  /** Every attribute that differs (all of them for a created user). */
  changes: AttributeChange[];
  aliases: {
    /** What the template gives this user. */
    wanted: string[];
    /** What the user holds after the decision. */
    granted: string[];
    /** Held before, given up (the template no longer gives them). */
    removed: string[];
    /** Wanted but held by another user: not added. */
    refused: { alias: string; ownerId: string | null }[];
  };
  warnings: { code: string; message: string }[];
  failure: { code: string; message: string } | null;
};

const RULES = {
  out_of_scope:
    "The user is outside this connection's scope (its groups or org units), so a run does not read it.",
  disabled:
    "The account is disabled in the directory: disabled accounts are not synchronized, and count as gone for deletion.",
  not_managed:
    'An application user with this email exists but was not created by this connection: it is left alone unless "Manage existing users" is on.',
  create: "No application user has this directory id or email: a new user is created with a PIN.",
  restore: "The matching user had been deleted: it is restored with a new PIN.",
  update: "The matching user differs from the directory: it is brought in step.",
  unchanged: "The matching user already matches the directory: nothing to write.",
  held: "The matching user holds a role or a password: the directory takes it over only after an administrator confirms it on a run's review (spec §4.11).",
} as const;

/** The application user's fields the explanation compares. */
const snapshot = (user: KnownUser | undefined) =>
  user
    ? {
        email: user.email,
        firstName: user.firstName,
        lastName: user.lastName,
        tags: [...user.tags].join(", "),
        source: user.connectionId ? `${user.connectionId} / ${user.externalId ?? ""}` : null,
        deleted: user.deleted ? "yes" : "no",
        aliases: [...user.aliases],
      }
    : null;

/**
 * Asks the planner for one directory user's decision and explains it: which user it matched
 * and how, the rule that decided, each attribute before → after, the aliases taken and
 * refused. The decision itself is the planner's, unchanged: this only reads the index
 * before and the action after (the planner updates the index as it decides).
 */
export function explainDecision(input: {
  planner: Planner;
  index: UserIndex;
  aliases: AliasBuilder;
  connectionId: string;
  user: DirectoryUser;
}): { decision: Decision; explanation: Explanation } {
  const { index, user } = input;
  const matched = matchUser(index, user);
  const by = !matched
    ? "none"
    : index.byExternalId.get(user.externalId) === matched
      ? "directory_id"
      : "email";
  const before = snapshot(matched);
  const match = {
    by,
    userId: matched?.id ?? null,
    email: matched?.email ?? null,
    deleted: matched?.deleted ?? false,
    connectionId: matched?.connectionId ?? null,
  } as const;
  const wanted = input.aliases(user.attributes);
  const owners = new Map(wanted.map((alias) => [alias, index.aliasOwner.get(alias.toLowerCase())]));

  const decision = input.planner.plan(user);
  const { action } = decision;
  const after = "user" in action ? snapshot(action.user) : null;
  const granted = after?.aliases ?? [];
  const grantedKeys = new Set(granted.map((alias) => alias.toLowerCase()));
  const refused =
    action.kind === "create" ||
    action.kind === "update" ||
    action.kind === "restore" ||
    action.kind === "unchanged"
      ? wanted
          .filter((alias) => !grantedKeys.has(alias.toLowerCase()))
          .map((alias) => ({ alias, ownerId: owners.get(alias) ?? null }))
      : [];
  const removed = (before?.aliases ?? []).filter(
    (alias) => after !== null && !grantedKeys.has(alias.toLowerCase()),
  );

  const changes: AttributeChange[] = [];
  if (after) {
    for (const field of ["email", "firstName", "lastName", "tags", "source", "deleted"] as const) {
      const was = before?.[field] ?? null;
      if (was !== after[field]) changes.push({ field, before: was, after: after[field] });
    }
    const wasAliases = (before?.aliases ?? []).join(", ") || null;
    const nowAliases = granted.join(", ") || null;
    if (wasAliases !== nowAliases) {
      changes.push({ field: "aliases", before: wasAliases, after: nowAliases });
    }
  }

  return {
    decision,
    explanation: {
      directoryUser: directoryView(user),
      inScope: true,
      match,
      action: action.kind,
      rule: ruleOf(action, user),
      changes,
      aliases: { wanted, granted, removed, refused },
      warnings: decision.warnings.map(({ code, message }) => ({ code, message })),
      failure:
        action.kind === "failed"
          ? { code: action.issue.code, message: action.issue.message }
          : null,
    },
  };
}

/** A user the connector found but the scope leaves out: no decision at all. */
export function explainOutOfScope(user: DirectoryUser): Explanation {
  return {
    directoryUser: directoryView(user),
    inScope: false,
    match: { by: "none", userId: null, email: null, deleted: false, connectionId: null },
    action: "skipped",
    rule: { code: "out_of_scope", text: RULES.out_of_scope },
    changes: [],
    aliases: { wanted: [], granted: [], removed: [], refused: [] },
    warnings: [],
    failure: null,
  };
}

function ruleOf(action: Action, user: DirectoryUser): Explanation["rule"] {
  switch (action.kind) {
    case "failed":
      return { code: action.issue.code, text: action.issue.message };
    case "skipped":
      // The planner skips for two reasons only: a disabled account, or a user it may not manage.
      return user.enabled
        ? { code: "not_managed", text: RULES.not_managed }
        : { code: "disabled", text: RULES.disabled };
    default:
      return { code: action.kind, text: RULES[action.kind] };
  }
}

const directoryView = (user: DirectoryUser): Explanation["directoryUser"] => ({
  externalId: user.externalId,
  email: user.email,
  displayName: user.displayName,
  givenName: user.givenName,
  surname: user.surname,
  enabled: user.enabled,
});
