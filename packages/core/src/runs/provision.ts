import {
  CONNECT_ERROR_CODES,
  type ConnectErrorCode,
  ConnectorError,
  type SyncOptions,
  syncOptionsSchema,
  type UserKey,
} from "@roster/connector-kit";
import { type RunCounts, syncRunIssues, syncRuns, tenants, userChanges, users } from "@roster/db";
import { and, eq, inArray } from "drizzle-orm";
import { connectorOf, decryptSecret, loadConnection } from "../connections/manage.ts";
import type { Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { errorMessage } from "../logger.ts";
import { compileAliasTemplate } from "../rules/aliases.ts";
import type { Action } from "../rules/plan.ts";
import { fieldsToRead, plannerFor, storeFor, takeoverFor } from "../sync/phases.ts";
import { LeaseLostError, type RunLease, recordOutcome } from "../sync/store/index.ts";
import type { SyncTarget } from "../sync/synchronize.ts";
import { emptyCounts } from "../sync/tally.ts";
import { UserIndex } from "../sync/user-index.ts";
import { type Explanation, explainDecision, explainOutOfScope } from "./explain.ts";
import { claimRun, holdLease } from "./lease.ts";
import { type RunView, runView } from "./views.ts";

/** An explanation with the emails of the users holding refused aliases (the page names them). */
export type ExplanationView = Explanation & {
  aliases: Explanation["aliases"] & {
    refused: { alias: string; ownerId: string | null; ownerEmail: string | null }[];
  };
};

/** What a connection synchronizes, decrypted, for a verb that reads the directory now. */
async function targetOf(ctx: Ctx, connectionId: string, doing: string): Promise<SyncTarget> {
  const connection = await loadConnection(ctx, connectionId);
  if (connection.status !== "connected") {
    throw new DomainError("not_connected", `Connect the directory successfully before ${doing}.`);
  }
  const [tenant] = await ctx.db.db.select().from(tenants).where(eq(tenants.id, ctx.tenantId));
  const connector = connectorOf(ctx, connection.type);
  return {
    tenantId: ctx.tenantId,
    tenantName: tenant?.name ?? "",
    connectionId,
    connector,
    settings: connector.settings.parse(connection.settings) as Record<string, unknown>,
    secret: decryptSecret(ctx, connection),
  };
}

/** Exactly one of a directory id and an email; anything else is a 400 naming the field. */
function userKeyOf(given: { externalId?: string; email?: string }): UserKey {
  const externalId = given.externalId?.trim();
  const email = given.email?.trim();
  if (externalId && !email) return { externalId };
  if (email && !externalId) return { email };
  const message = externalId
    ? "Give the directory id or the email, not both."
    : "Give the user's directory id or email.";
  throw new DomainError("validation_failed", message, [{ path: ["externalId"], message }]);
}

/** A connector failure in the API's words: a connect code (422), never a 500. */
export function directoryFailure(error: unknown): DomainError {
  if (error instanceof ConnectorError) {
    const code = (CONNECT_ERROR_CODES as readonly string[]).includes(error.code)
      ? (error.code as ConnectErrorCode)
      : "directory_unreachable";
    return new DomainError(code, error.message, error.details);
  }
  return new DomainError(
    "directory_unreachable",
    `The directory could not be read: ${errorMessage(error)}`,
  );
}

/** The one directory user a key names, and whether the scope includes it; 404 if none. */
async function readOne(ctx: Ctx, target: SyncTarget, options: SyncOptions, key: UserKey) {
  const { connector } = target;
  if (!connector.readUser) {
    throw new DomainError(
      "connector_unavailable",
      `${connector.displayName} cannot read a single user; run a full synchronization instead.`,
    );
  }
  const found = await connector
    .readUser(
      {
        settings: target.settings,
        secret: target.secret,
        log: ctx.log,
        fields: fieldsToRead(options, connector),
      },
      key,
    )
    .catch((error: unknown) => {
      throw directoryFailure(error);
    });
  if (!found) {
    throw new DomainError(
      "not_found",
      "externalId" in key
        ? `The directory has no user with the id ${key.externalId}.`
        : `The directory has no user with the email ${key.email}.`,
    );
  }
  return found;
}

/** Decides one directory user against the tenant's users as they are now, and explains it. */
async function decideOne(ctx: Ctx, target: SyncTarget, key: UserKey) {
  const options = syncOptionsSchema.parse(target.settings);
  const found = await readOne(ctx, target, options, key);
  if (!found.inScope)
    return { found, options, decision: null, explanation: explainOutOfScope(found.user) };
  const index = await UserIndex.load(ctx.db.client, ctx.tenantId, target.connectionId);
  const { decision, explanation } = explainDecision({
    planner: plannerFor(ctx, target, options, index, await takeoverFor(ctx, target, [])),
    index,
    aliases: compileAliasTemplate(options.aliasTemplate, options.aliasesWithoutInvalidCharacters),
    connectionId: target.connectionId,
    user: found.user,
  });
  return { found, options, decision, explanation };
}

/** Adds the emails of the users that hold the refused aliases. */
async function withOwners(ctx: Ctx, explanation: Explanation): Promise<ExplanationView> {
  const ids = explanation.aliases.refused.flatMap((refusal) => refusal.ownerId ?? []);
  const owners = ids.length
    ? await ctx.db.db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(and(eq(users.tenantId, ctx.tenantId), inArray(users.id, ids)))
    : [];
  const emailOf = new Map(owners.map((owner) => [owner.id, owner.email]));
  return {
    ...explanation,
    aliases: {
      ...explanation.aliases,
      refused: explanation.aliases.refused.map((refusal) => ({
        ...refusal,
        ownerEmail: refusal.ownerId ? (emailOf.get(refusal.ownerId) ?? null) : null,
      })),
    },
  };
}

const COUNTED: Partial<Record<Action["kind"], keyof RunCounts>> = {
  create: "created",
  restore: "restored",
  update: "updated",
  unchanged: "unchanged",
  skipped: "skipped",
  failed: "failed",
};

/**
 * Provision on demand: reads one user from the directory, decides it with the same rules
 * as a run, and — unless `dryRun` — writes it through a real run of trigger `provision`
 * (claimed like any run, so it waits for no one but refuses to overlap a running sync,
 * holds a lease, writes through the run store, keeps its issues and history). No deletions,
 * no group mirroring: those need the whole directory. A user outside the scope is explained
 * and not written (no run).
 */
export async function provisionUser(
  ctx: Ctx,
  connectionId: string,
  given: { externalId?: string; email?: string },
  options: { dryRun?: boolean } = {},
): Promise<{ run: RunView | null; explanation: ExplanationView }> {
  const target = await targetOf(ctx, connectionId, "provisioning a user");
  const key = userKeyOf(given);
  if (options.dryRun) {
    const { explanation } = await decideOne(ctx, target, key);
    return { run: null, explanation: await withOwners(ctx, explanation) };
  }
  // Read first: a directory that fails leaves no run behind.
  const syncOptions = syncOptionsSchema.parse(target.settings);
  const found = await readOne(ctx, target, syncOptions, key);
  if (!found.inScope) {
    return { run: null, explanation: await withOwners(ctx, explainOutOfScope(found.user)) };
  }
  const runId = await claimRun(ctx, {
    tenantId: ctx.tenantId,
    connectionId,
    trigger: "provision",
    triggeredBy: ctx.actor.kind === "user" ? ctx.actor.userId : null,
  });
  const [claimed] = await ctx.db.db.select().from(syncRuns).where(eq(syncRuns.id, runId));
  const lease: RunLease = { runId, token: claimed?.leaseOwner as string };
  const held = holdLease(ctx, lease, () => ctx.log.warn("provision run lost its lease", { runId }));
  let explanation: Explanation;
  const counts = emptyCounts();
  let outcome: "succeeded" | "completed_with_errors" | "failed" = "succeeded";
  const error: string | null = null;
  try {
    const index = await UserIndex.load(ctx.db.client, ctx.tenantId, connectionId);
    const decided = explainDecision({
      planner: plannerFor(ctx, target, syncOptions, index, await takeoverFor(ctx, target, [])),
      index,
      aliases: compileAliasTemplate(
        syncOptions.aliasTemplate,
        syncOptions.aliasesWithoutInvalidCharacters,
      ),
      connectionId,
      user: found.user,
    });
    explanation = decided.explanation;
    const { action, warnings } = decided.decision;
    const store = await storeFor(ctx, target, syncOptions, lease);
    const refused = await store.writeDecisions({
      actions: action.kind === "failed" || action.kind === "held" ? [] : [action],
      failures: action.kind === "failed" ? [action.issue] : [],
      warnings,
      // A privileged user is not taken over on demand: a run's review confirms it.
      reviews: action.kind === "held" ? [action.issue] : [],
    });
    const kind = refused.length > 0 ? "failed" : action.kind;
    const counted = COUNTED[kind];
    if (counted) counts[counted] += 1;
    if (refused[0]) {
      explanation = {
        ...explanation,
        action: "failed",
        failure: { code: refused[0].issue.code, message: refused[0].issue.message },
        rule: { code: refused[0].issue.code, text: refused[0].issue.message },
      };
    }
    if (kind === "failed") outcome = "completed_with_errors";
  } catch (caught) {
    held.stop();
    const reason = caught instanceof LeaseLostError ? caught.message : errorMessage(caught);
    await recordOutcome(ctx, lease, {
      outcome: "failed",
      error: reason,
      counts,
      pendingDeletions: 0,
    });
    throw new DomainError("internal", `The user could not be provisioned: ${reason}`);
  }
  held.stop();
  const finished = await recordOutcome(ctx, lease, { outcome, error, counts, pendingDeletions: 0 });
  ctx.log.info("user provisioned on demand", { runId, action: explanation.action });
  const run =
    finished ?? (await ctx.db.db.select().from(syncRuns).where(eq(syncRuns.id, runId)))[0];
  return { run: run ? runView(run) : null, explanation: await withOwners(ctx, explanation) };
}

/**
 * A user of a run, explained: what that run recorded for it (its change, failures and
 * warnings) and how the rules decide it now, read fresh from the directory (nothing written).
 * A past decision cannot be replayed exactly: the directory and the users have moved on.
 */
export async function explainRunUser(ctx: Ctx, runId: string, given: string | undefined) {
  const [run] = await ctx.db.db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.tenantId, ctx.tenantId)));
  if (!run) throw notFound("The run");
  const { externalId } = userKeyOf({ externalId: given }) as { externalId: string };
  const issues = await ctx.db.db
    .select()
    .from(syncRunIssues)
    .where(and(eq(syncRunIssues.runId, runId), eq(syncRunIssues.externalId, externalId)));
  const [user] = await ctx.db.db
    .select({ id: users.id })
    .from(users)
    .where(
      and(
        eq(users.tenantId, ctx.tenantId),
        eq(users.connectionId, run.connectionId),
        eq(users.externalId, externalId),
      ),
    );
  const changes = user
    ? await ctx.db.db
        .select({ kind: userChanges.kind, at: userChanges.at })
        .from(userChanges)
        .where(and(eq(userChanges.userId, user.id), eq(userChanges.runId, runId)))
    : [];
  const target = await targetOf(ctx, run.connectionId, "explaining a user");
  const { explanation } = await decideOne(ctx, target, { externalId });
  return {
    run: runView(run),
    recorded: {
      userId: user?.id ?? null,
      changes: changes.map((change) => ({ kind: change.kind, at: change.at.toISOString() })),
      issues: issues.map((issue) => ({
        kind: issue.kind,
        code: issue.code,
        message: issue.message,
      })),
    },
    now: await withOwners(ctx, explanation),
  };
}
