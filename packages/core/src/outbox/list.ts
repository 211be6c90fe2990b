import { outbox, outboxBodies } from "@roster/db";
import { desc, eq } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import { afterCursor, decodeCursor, iso, type Page, toPage } from "../paging.ts";
import { openBody } from "./body.ts";

export type OutboxView = {
  id: string;
  to: string;
  subject: string;
  text: string | null;
  html: string | null;
  kind: string;
  status: string;
  createdAt: string;
};

/**
 * The local outbox, newest first, for the operator when Resend is not configured. Bodies
 * are decrypted here, for this reader only (they may hold a PIN).
 */
export async function listOutbox(
  deps: CoreDeps,
  page: { limit: number; cursor?: string },
): Promise<Page<OutboxView>> {
  const cursor = decodeCursor(page.cursor);
  const rows = await deps.db.db
    .select({
      id: outbox.id,
      to: outbox.to,
      subject: outbox.subject,
      kind: outbox.kind,
      status: outbox.status,
      createdAt: outbox.createdAt,
      ciphertext: outboxBodies.ciphertext,
    })
    .from(outbox)
    .leftJoin(outboxBodies, eq(outboxBodies.outboxId, outbox.id))
    .where(afterCursor(cursor, outbox.createdAt, outbox.id, "desc"))
    .orderBy(desc(outbox.createdAt), desc(outbox.id))
    .limit(page.limit + 1);
  return toPage(
    rows,
    page.limit,
    (row) => ({ at: row.createdAt.getTime(), id: row.id }),
    (row) => {
      const body = row.ciphertext ? openBody(deps.keyring, row.ciphertext) : null;
      return {
        id: row.id,
        to: row.to,
        subject: row.subject,
        text: body?.text ?? null,
        html: body?.html ?? null,
        kind: row.kind,
        status: row.status,
        createdAt: iso(row.createdAt) as string,
      };
    },
  );
}
