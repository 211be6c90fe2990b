import type { CoreDeps } from "../context.ts";

export type RunEmails = { pending: number; sent: number; failed: number };

/** How many of a run's welcome emails are waiting, delivered and failed. */
export async function countRunEmails(deps: CoreDeps, runId: string): Promise<RunEmails> {
  const result = await deps.db.client.execute({
    sql: "select status, count(*) as n from outbox where run_id = ? group by status",
    args: [runId],
  });
  const emails: RunEmails = { pending: 0, sent: 0, failed: 0 };
  for (const row of result.rows) {
    const status = String(row.status);
    if (status === "pending" || status === "sent" || status === "failed")
      emails[status] = Number(row.n);
  }
  return emails;
}
