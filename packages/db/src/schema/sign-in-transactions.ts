import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { timestamp } from "./columns.ts";
import { connections } from "./connections.ts";
import { tenants } from "./tenants.ts";

/**
 * One directory sign-in in flight (spec §4.10): what the callback must check, bound to the
 * browser by an HttpOnly cookie whose SHA-256 is the key. Consumed once; lives 10 minutes.
 */
export const signInTransactions = sqliteTable(
  "sign_in_transactions",
  {
    /** SHA-256 of the cookie value; the value itself is never stored. */
    id: text().primaryKey(),
    tenantId: text()
      .notNull()
      .references(() => tenants.id, { onDelete: "cascade" }),
    connectionId: text()
      .notNull()
      .references(() => connections.id, { onDelete: "cascade" }),
    provider: text().notNull(),
    state: text().notNull(),
    nonce: text().notNull(),
    /** The PKCE verifier, encrypted like connection secrets. */
    codeVerifierCiphertext: text().notNull(),
    returnTo: text().notNull(),
    createdAt: timestamp().notNull(),
    expiresAt: timestamp().notNull(),
  },
  (t) => [index("sign_in_transactions_expires_idx").on(t.expiresAt)],
);

export type SignInTransaction = typeof signInTransactions.$inferSelect;
