import { type Connector, plainIssueMessage, syncOptionsSchema } from "@roster/connector-kit";
import { type Connection, connections, newId, syncRuns } from "@roster/db";
import { and, count, desc, eq } from "drizzle-orm";
import { z } from "zod";
import type { CoreDeps, Ctx } from "../context.ts";
import { DomainError, notFound } from "../errors.ts";
import { countRunEmails } from "../outbox/run-emails.ts";
import { afterCursor, decodeCursor, type Page, toPage } from "../paging.ts";
import { exclusively } from "./exclusive.ts";
import { type ConnectionView, connectionView } from "./views.ts";

const DAY_MS = 24 * 3600 * 1000;

/** The connectors the API offers, with their settings as JSON Schema for the admin UI. */
export function connectorCatalog(deps: CoreDeps) {
  return deps.connectors.list().map((connector) => ({
    type: connector.type,
    displayName: connector.displayName,
    status: connector.status,
    settingsSchema: z.toJSONSchema(connector.settings, { io: "input", unrepresentable: "any" }),
    secretLabel: connector.secret.label,
  }));
}

export function connectorOf(deps: CoreDeps, type: string): Connector {
  const connector = deps.connectors.get(type);
  if (!connector) {
    throw new DomainError("validation_failed", `Unknown connector type "${type}".`, [
      {
        path: ["type"],
        message: `Expected one of: ${deps.connectors
          .list()
          .map((c) => c.type)
          .join(", ")}`,
      },
    ]);
  }
  return connector;
}

/** Every problem at once, each in plain words with its field's path. */
const invalid = (error: z.ZodError, prefix: string) => {
  const plain = error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)],
    message: plainIssueMessage(issue as Parameters<typeof plainIssueMessage>[0]),
  }));
  return new DomainError("validation_failed", plain.map((issue) => issue.message).join(" "), plain);
};

function parseSettings(connector: Connector, settings: unknown): Record<string, unknown> {
  const parsed = connector.settings.safeParse(settings);
  if (!parsed.success) throw invalid(parsed.error, "settings");
  return parsed.data as Record<string, unknown>;
}

function parseSecret(connector: Connector, secret: unknown): string {
  const parsed = connector.secret.schema.safeParse(secret);
  if (!parsed.success) throw invalid(parsed.error, "secret");
  return parsed.data;
}

/** Loads a connection of the caller's tenant; another tenant's id is simply not found. */
export async function loadConnection(ctx: Ctx, id: string): Promise<Connection> {
  const [row] = await ctx.db.db
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.tenantId, ctx.tenantId)));
  if (!row) throw notFound("The connection");
  return row;
}

/** The connection's last run, with its welcome emails (the card shows their delivery). */
async function lastRunOf(ctx: CoreDeps, connectionId: string) {
  const [run] = await ctx.db.db
    .select()
    .from(syncRuns)
    .where(eq(syncRuns.connectionId, connectionId))
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(1);
  return run ? { ...run, emails: await countRunEmails(ctx, run.id) } : null;
}

export async function getConnection(ctx: Ctx, id: string): Promise<ConnectionView> {
  const connection = await loadConnection(ctx, id);
  return connectionView(connection, await lastRunOf(ctx, id));
}

export async function listConnections(
  ctx: Ctx,
  page: { limit: number; cursor?: string },
): Promise<Page<ConnectionView>> {
  const cursor = decodeCursor(page.cursor);
  const rows = await ctx.db.db
    .select()
    .from(connections)
    .where(
      and(
        eq(connections.tenantId, ctx.tenantId),
        afterCursor(cursor, connections.createdAt, connections.id, "desc"),
      ),
    )
    .orderBy(desc(connections.createdAt), desc(connections.id))
    .limit(page.limit + 1);
  const lastRuns = new Map(
    await Promise.all(
      rows.slice(0, page.limit).map(async (row) => [row.id, await lastRunOf(ctx, row.id)] as const),
    ),
  );
  return toPage(
    rows,
    page.limit,
    (row) => ({ at: row.createdAt.getTime(), id: row.id }),
    (row) => connectionView(row, lastRuns.get(row.id) ?? null),
  );
}

export type ConnectionInput = {
  type: string;
  name?: string;
  settings: unknown;
  secret: unknown;
  secretExpiresAt?: string | null;
};

export const DEFAULT_MAX_CONNECTIONS_PER_TENANT = 20;

/** Each connection can read a whole directory on a schedule: a tenant gets a bounded number. */
async function refuseBeyondConnectionLimit(ctx: Ctx): Promise<void> {
  const limit = ctx.maxConnectionsPerTenant ?? DEFAULT_MAX_CONNECTIONS_PER_TENANT;
  const [row] = await ctx.db.db
    .select({ count: count() })
    .from(connections)
    .where(eq(connections.tenantId, ctx.tenantId));
  if ((row?.count ?? 0) >= limit) {
    throw new DomainError(
      "too_many_connections",
      `A tenant can have at most ${limit} connections; delete one first.`,
      { limit },
    );
  }
}

export async function createConnection(ctx: Ctx, input: ConnectionInput): Promise<ConnectionView> {
  const connector = connectorOf(ctx, input.type);
  const settings = parseSettings(connector, input.settings);
  const secret = parseSecret(connector, input.secret);
  await refuseBeyondConnectionLimit(ctx);
  const now = ctx.clock.now();
  const [row] = await ctx.db.db
    .insert(connections)
    .values({
      id: newId("con"),
      tenantId: ctx.tenantId,
      type: connector.type,
      name: input.name?.trim() || connector.displayName,
      settings,
      secretCiphertext: ctx.keyring.encrypt(secret),
      secretExpiresAt: input.secretExpiresAt ? new Date(input.secretExpiresAt) : null,
      status: "draft",
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  ctx.log.info("connection created", {
    tenantId: ctx.tenantId,
    connectionId: row?.id,
    type: connector.type,
  });
  return connectionView(row as Connection, null);
}

/** Settings other than the sync options decide credentials and scope. */
const SYNC_OPTION_KEYS = new Set(Object.keys(syncOptionsSchema.shape));
const scopeOf = (settings: Record<string, unknown>) =>
  JSON.stringify(
    Object.entries(settings)
      .filter(([key]) => !SYNC_OPTION_KEYS.has(key))
      .sort(),
  );

export async function updateConnection(
  ctx: Ctx,
  id: string,
  patch: { name?: string; settings?: unknown; secret?: unknown; secretExpiresAt?: string | null },
): Promise<ConnectionView> {
  const current = await loadConnection(ctx, id);
  const connector = connectorOf(ctx, current.type);
  const settings =
    patch.settings === undefined ? current.settings : parseSettings(connector, patch.settings);
  const secret = patch.secret === undefined ? undefined : parseSecret(connector, patch.secret);
  // New credentials or a new scope must be tested again before the next sync.
  const backToDraft = secret !== undefined || scopeOf(settings) !== scopeOf(current.settings);
  // Any change of settings drops the change cursor: the next run reads everything.
  const settingsChanged = JSON.stringify(settings) !== JSON.stringify(current.settings);
  const [row] = await ctx.db.db
    .update(connections)
    .set({
      name: patch.name?.trim() || current.name,
      settings,
      ...(secret !== undefined ? { secretCiphertext: ctx.keyring.encrypt(secret) } : {}),
      ...(patch.secretExpiresAt !== undefined
        ? {
            secretExpiresAt: patch.secretExpiresAt ? new Date(patch.secretExpiresAt) : null,
            expiryNoticeDay: null,
          }
        : {}),
      ...(backToDraft ? { status: "draft" as const, lastError: null } : {}),
      ...(settingsChanged
        ? {
            deltaCursorCiphertext: null,
            deltaCursorIssuedAt: null,
            deltaCursorDropped: "settings_changed" as const,
          }
        : {}),
      updatedAt: ctx.clock.now(),
    })
    .where(and(eq(connections.id, id), eq(connections.tenantId, ctx.tenantId)))
    .returning();
  return connectionView(row as Connection, await lastRunOf(ctx, id));
}

/** Removes settings, secret and schedule; the users it synchronized stay (spec §3). */
export async function deleteConnection(ctx: Ctx, id: string): Promise<void> {
  await loadConnection(ctx, id);
  await ctx.db.db
    .delete(connections)
    .where(and(eq(connections.id, id), eq(connections.tenantId, ctx.tenantId)));
  ctx.log.info("connection deleted", { tenantId: ctx.tenantId, connectionId: id });
}

export const decryptSecret = (deps: CoreDeps, connection: Connection) =>
  deps.keyring.decrypt(connection.secretCiphertext);

/** Tests credentials, permissions and groups; the connection becomes connected or error. */
export async function connectConnection(ctx: Ctx, id: string): Promise<ConnectionView> {
  const connection = await loadConnection(ctx, id);
  return exclusively(ctx, "connect", id, () => connectNow(ctx, connection));
}

async function connectNow(ctx: Ctx, connection: Connection): Promise<ConnectionView> {
  const id = connection.id;
  const connector = connectorOf(ctx, connection.type);
  const result = await connector.connect({
    settings: connector.settings.parse(connection.settings),
    secret: decryptSecret(ctx, connection),
    log: ctx.log.child({ connectionId: id }),
  });
  const now = ctx.clock.now();
  if (result.ok) {
    await ctx.db.db
      .update(connections)
      .set({ status: "connected", lastError: null, updatedAt: now })
      .where(eq(connections.id, id));
    return getConnection(ctx, id);
  }
  const lastError = { code: result.code, message: result.message, details: result.details };
  await ctx.db.db
    .update(connections)
    .set({ status: "error", lastError, updatedAt: now })
    .where(eq(connections.id, id));
  throw new DomainError(result.code, result.message, result.details);
}

/** Synchronize automatically: every 24 hours counted from now, or off. */
export async function setAutoSync(ctx: Ctx, id: string, enabled: boolean): Promise<ConnectionView> {
  const connection = await loadConnection(ctx, id);
  if (enabled && connection.status !== "connected") {
    throw new DomainError(
      "not_connected",
      "Connect the directory before switching on automatic synchronization.",
    );
  }
  const now = ctx.clock.now();
  const alreadyOn = connection.autoSyncEnabled && enabled;
  await ctx.db.db
    .update(connections)
    .set(
      alreadyOn
        ? { updatedAt: now }
        : {
            autoSyncEnabled: enabled,
            autoSyncActivatedAt: enabled ? now : null,
            autoSyncNextRunAt: enabled ? new Date(now.getTime() + DAY_MS) : null,
            updatedAt: now,
          },
    )
    .where(eq(connections.id, id));
  return getConnection(ctx, id);
}
