import { createHash } from "node:crypto";

/** What /authorize promised when it issued a code, checked again at /token. */
export type CodeGrant = {
  tenantId: string;
  clientId: string;
  redirectUri: string;
  userId: string;
  scope: string[];
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: "S256" | "plain";
  expiresAt: number;
  redeemed: boolean;
};

/**
 * Authorization codes: single use, about ten minutes long
 * (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, "Request an
 * authorization code"). Redeemed codes stay known so a replay gets AADSTS54005.
 */
export function createCodeStore(lifetimeSeconds: number) {
  const codes = new Map<string, CodeGrant>();
  return {
    issue(grant: Omit<CodeGrant, "expiresAt" | "redeemed">): string {
      // Entra's codes start `1.A` and are long and opaque.
      const code = `1.A${Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url")}`;
      codes.set(code, {
        ...grant,
        expiresAt: Date.now() + lifetimeSeconds * 1000,
        redeemed: false,
      });
      return code;
    },
    get: (code: string) => codes.get(code),
  };
}

export type CodeStore = ReturnType<typeof createCodeStore>;

/** RFC 7636 §4.6: S256 compares BASE64URL(SHA256(verifier)); plain compares as is. */
export const pkceMatches = (grant: CodeGrant, verifier: string) =>
  grant.codeChallengeMethod === "S256"
    ? createHash("sha256").update(verifier).digest("base64url") === grant.codeChallenge
    : verifier === grant.codeChallenge;
