import { RUN_ISSUE_KINDS, type RunIssueKind, syncRunIssues, syncRuns } from "@roster/db";
import { and, asc, count, desc, eq, gt, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Ctx } from "../context.ts";
import { notFound } from "../errors.ts";
import { decodeCursor, type Page, toPage } from "../paging.ts";
import { issueView } from "./views.ts";

export type IssueFilter = { kind?: RunIssueKind; code?: string; query?: string };
export type IssueView = ReturnType<typeof issueView>;

/** A run of the caller's tenant, or 404. */
async function requireRun(ctx: Ctx, runId: string) {
  const [run] = await ctx.db.db
    .select({ id: syncRuns.id })
    .from(syncRuns)
    .where(and(eq(syncRuns.id, runId), eq(syncRuns.tenantId, ctx.tenantId)));
  if (!run) throw notFound("The run");
}

/** `%`, `_` and `\` match themselves in a search (LIKE … ESCAPE '\'). */
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;

function filterOf(runId: string, filter: IssueFilter): SQL | undefined {
  const query = filter.query?.trim();
  const pattern = query ? likePattern(query) : null;
  const matches = (column: SQLiteColumn) => sql`lower(${column}) like ${pattern} escape '\\'`;
  return and(
    eq(syncRunIssues.runId, runId),
    filter.kind ? eq(syncRunIssues.kind, filter.kind) : undefined,
    filter.code ? eq(syncRunIssues.code, filter.code) : undefined,
    pattern
      ? or(
          matches(syncRunIssues.email),
          matches(syncRunIssues.displayName),
          matches(syncRunIssues.externalId),
          matches(syncRunIssues.message),
        )
      : undefined,
  );
}

/**
 * `GET /api/user-sync/runs/:id/issues`: every failure, warning and pending deletion of a run,
 * in the order they were recorded, filtered by kind, reason code and a search over name,
 * email, directory id and message; paged by id (ids sort by creation time).
 */
export async function listRunIssues(
  ctx: Ctx,
  runId: string,
  filter: IssueFilter & { limit: number; cursor?: string },
): Promise<Page<IssueView>> {
  await requireRun(ctx, runId);
  const cursor = decodeCursor(filter.cursor);
  const rows = await ctx.db.db
    .select()
    .from(syncRunIssues)
    .where(and(filterOf(runId, filter), cursor ? gt(syncRunIssues.id, cursor.id) : undefined))
    .orderBy(asc(syncRunIssues.id))
    .limit(filter.limit + 1);
  return toPage(rows, filter.limit, (row) => ({ at: 0, id: row.id }), issueView);
}

/** Totals of a run's issues by kind, and by reason (kind + code) with their counts, largest first. */
export async function summarizeRunIssues(ctx: Ctx, runId: string) {
  const rows = await ctx.db.db
    .select({
      kind: syncRunIssues.kind,
      code: syncRunIssues.code,
      count: count(),
      // One message of the reason, as an example of what it says.
      example: sql<string>`min(${syncRunIssues.message})`,
    })
    .from(syncRunIssues)
    .where(eq(syncRunIssues.runId, runId))
    .groupBy(syncRunIssues.kind, syncRunIssues.code)
    .orderBy(desc(count()), asc(syncRunIssues.code));
  const totals = Object.fromEntries(RUN_ISSUE_KINDS.map((kind) => [kind, 0])) as Record<
    RunIssueKind,
    number
  >;
  for (const row of rows) totals[row.kind] += row.count;
  return {
    totals: {
      failures: totals.failure,
      warnings: totals.warning,
      pendingDeletions: totals.pending_deletion,
    },
    reasons: rows.map((row) => ({
      kind: row.kind,
      code: row.code,
      count: row.count,
      example: row.example,
    })),
  };
}

const CSV_COLUMNS = ["kind", "code", "displayName", "email", "externalId", "message"] as const;

/**
 * One CSV field (RFC 4180: quoted, quotes doubled). A field a spreadsheet would run as a
 * formula (`=`, `+`, `-`, `@`, tab, CR) is prefixed with `'` (OWASP, CSV injection): the
 * names come from the customer's directory.
 */
export function csvField(value: string | null): string {
  const text = value ?? "";
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

/** Rows fetched per query while exporting: the whole list never sits in memory. */
const EXPORT_PAGE = 2000;

/** The run's issues (filtered like the list) as CSV, streamed a page at a time. */
export async function exportRunIssues(
  ctx: Ctx,
  runId: string,
  filter: IssueFilter,
): Promise<ReadableStream<Uint8Array>> {
  await requireRun(ctx, runId);
  const encoder = new TextEncoder();
  let after: string | null = null;
  let started = false;
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(",")}\r\n`));
      }
      const rows = await ctx.db.db
        .select()
        .from(syncRunIssues)
        .where(and(filterOf(runId, filter), after ? gt(syncRunIssues.id, after) : undefined))
        .orderBy(asc(syncRunIssues.id))
        .limit(EXPORT_PAGE);
      if (rows.length === 0) {
        controller.close();
        return;
      }
      after = rows.at(-1)?.id ?? null;
      const lines = rows.map(
        (row) => `${CSV_COLUMNS.map((column) => csvField(row[column])).join(",")}\r\n`,
      );
      controller.enqueue(encoder.encode(lines.join("")));
    },
  });
}
