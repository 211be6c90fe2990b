import { createHash, randomBytes } from "node:crypto";
import { signInTransactions } from "@roster/db";
import { eq, lt } from "drizzle-orm";
import type { CoreDeps } from "../../context.ts";

/** How long a directory sign-in may take from the button to the callback. */
export const SIGN_IN_TRANSACTION_TTL_MS = 10 * 60 * 1000;

const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");

export type OpenTransaction = {
  tenantId: string;
  connectionId: string;
  provider: string;
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
};

/** Stores a sign-in in flight; returns the cookie value that alone can consume it. */
export async function openTransaction(deps: CoreDeps, input: OpenTransaction) {
  const now = deps.clock.now();
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(now.getTime() + SIGN_IN_TRANSACTION_TTL_MS);
  // Abandoned sign-ins leave rows behind; each new one sweeps the expired (indexed).
  await deps.db.db.delete(signInTransactions).where(lt(signInTransactions.expiresAt, now));
  await deps.db.db.insert(signInTransactions).values({
    id: hashOf(token),
    tenantId: input.tenantId,
    connectionId: input.connectionId,
    provider: input.provider,
    state: input.state,
    nonce: input.nonce,
    codeVerifierCiphertext: deps.keyring.encrypt(input.codeVerifier),
    returnTo: input.returnTo,
    createdAt: now,
    expiresAt,
  });
  return { token, expiresAt };
}

/**
 * Takes the transaction behind a cookie value out of the store: one DELETE … RETURNING,
 * so two callbacks racing with the same cookie cannot both get it. Null when unknown,
 * already used or expired.
 */
export async function consumeTransaction(deps: CoreDeps, token: string) {
  const [row] = await deps.db.db
    .delete(signInTransactions)
    .where(eq(signInTransactions.id, hashOf(token)))
    .returning();
  if (!row || row.expiresAt.getTime() <= deps.clock.now().getTime()) return null;
  return {
    tenantId: row.tenantId,
    connectionId: row.connectionId,
    provider: row.provider,
    state: row.state,
    nonce: row.nonce,
    codeVerifier: deps.keyring.decrypt(row.codeVerifierCiphertext),
    returnTo: row.returnTo,
  };
}
