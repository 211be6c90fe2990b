import {
  type Connection,
  connections,
  newId,
  notifications,
  outbox,
  outboxBodies,
  tenants,
  users,
} from "@roster/db";
import { secretExpiryEmail } from "@roster/email";
import { eq, inArray } from "drizzle-orm";
import type { CoreDeps } from "../context.ts";
import { sealBody } from "../outbox/body.ts";
import { PERMISSIONS } from "../permissions.ts";
import { holdersOf } from "../runs/notify.ts";

const WARN_DAYS = 7;
const DAY_MS = 24 * 3600 * 1000;

/**
 * Warns every user-sync administrator when a connection's secret expires within 7 days or
 * has expired (spec §7): a notification and an email, at most once per connection per day.
 * Called daily by the scheduler and at the start of every run.
 */
export async function checkSecretExpiry(deps: CoreDeps, connection: Connection): Promise<boolean> {
  const expiresAt = connection.secretExpiresAt;
  if (!expiresAt) return false;
  const now = deps.clock.now();
  if (expiresAt.getTime() - now.getTime() > WARN_DAYS * DAY_MS) return false;
  const day = now.toISOString().slice(0, 10);
  if (connection.expiryNoticeDay === day) return false;
  const expired = expiresAt.getTime() <= now.getTime();
  const recipients = await holdersOf(deps, connection.tenantId, PERMISSIONS.userSync);
  const [tenant] = await deps.db.db
    .select()
    .from(tenants)
    .where(eq(tenants.id, connection.tenantId));
  const emails = recipients.length
    ? await deps.db.db
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(inArray(users.id, recipients))
    : [];
  const kind = expired
    ? ("user_sync.secret_expired" as const)
    : ("user_sync.secret_expiring" as const);
  const days = Math.max(0, Math.ceil((expiresAt.getTime() - now.getTime()) / DAY_MS));
  const title = expired
    ? `The secret of "${connection.name}" has expired`
    : `The secret of "${connection.name}" expires in ${days} day${days === 1 ? "" : "s"}`;
  const body = expired
    ? "User synchronization fails until a new application secret is saved on the connection."
    : `Create a new client secret and save it on the connection before ${expiresAt.toISOString().slice(0, 10)}.`;
  await deps.db.db.transaction(async (tx) => {
    await tx
      .update(connections)
      .set({ expiryNoticeDay: day })
      .where(eq(connections.id, connection.id));
    if (recipients.length === 0) return;
    await tx
      .insert(notifications)
      .values(
        recipients.map((userId) => ({
          id: newId("ntf"),
          tenantId: connection.tenantId,
          userId,
          kind,
          title,
          body,
          data: { connectionId: connection.id },
          dedupeKey: `expiry:${connection.id}:${day}`,
          createdAt: now,
        })),
      )
      .onConflictDoNothing();
    for (const recipient of emails) {
      const message = secretExpiryEmail({
        to: recipient.email,
        appName: deps.appName ?? "Roster",
        connectionName: connection.name,
        expiresAt,
        expired,
      });
      const id = newId("eml");
      await tx.insert(outbox).values({
        id,
        tenantId: connection.tenantId,
        to: message.to,
        subject: message.subject,
        kind: "secret_expiry",
        createdAt: now,
      });
      await tx.insert(outboxBodies).values({
        outboxId: id,
        ciphertext: sealBody(deps.keyring, message),
      });
    }
  });
  if (emails.length > 0) deps.emailDispatcher?.wake();
  deps.log.info("secret expiry notice", {
    connectionId: connection.id,
    tenant: tenant?.slug,
    expired,
  });
  return true;
}
