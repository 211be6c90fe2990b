import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import { exportJWK, SignJWT } from "jose";

/** What an access token stands for: a delegated service account, or a signed-in user. */
export type Grant =
  | { kind: "delegation"; customerId: string; subjectId: string; scopes: string[] }
  | { kind: "service-account"; scopes: string[] }
  | { kind: "user"; sub: string; scopes: string[] };

/**
 * Opaque `ya29.` access tokens, kept in memory until they expire. Google issues them for an
 * hour (`expires_in` 3599, developers.google.com/identity/protocols/oauth2/service-account);
 * the libraries refresh 5 minutes early, so a lifetime under 300 s means a token per call.
 */
export class AccessTokens {
  private readonly grants = new Map<string, { grant: Grant; expiresAt: number }>();
  constructor(readonly lifetimeSeconds: number) {}

  issue(grant: Grant): string {
    const token = `ya29.${randomBytes(48).toString("base64url")}`;
    this.grants.set(token, { grant, expiresAt: Date.now() + this.lifetimeSeconds * 1000 });
    return token;
  }

  find(token: string): Grant | undefined {
    const entry = this.grants.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.grants.delete(token);
      return undefined;
    }
    return entry.grant;
  }
}

/** An authorization code of the sign-in flow: single use, short-lived. */
export type AuthorizationCode = {
  clientId: string;
  redirectUri: string;
  scope: string;
  nonce?: string;
  codeChallenge?: string;
  codeChallengeMethod?: "S256" | "plain";
  claims: Record<string, unknown>;
  expiresAt: number;
  used: boolean;
};

export class AuthorizationCodes {
  private readonly codes = new Map<string, AuthorizationCode>();

  issue(code: Omit<AuthorizationCode, "expiresAt" | "used">, lifetimeSeconds = 600): string {
    // Google's codes look like `4/0A…` (observed in callback URLs).
    const value = `4/0A${randomBytes(36).toString("base64url")}`;
    this.codes.set(value, { ...code, expiresAt: Date.now() + lifetimeSeconds * 1000, used: false });
    return value;
  }

  find(value: string): AuthorizationCode | undefined {
    return this.codes.get(value);
  }
}

/**
 * Signs ID tokens with RS256 and publishes the key as Google does at
 * https://www.googleapis.com/oauth2/v3/certs: keys carry `alg`, `use` and a 40-hex `kid`.
 */
export async function createIdTokenSigner() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomBytes(20).toString("hex");
  const jwk = { ...(await exportJWK(publicKey)), alg: "RS256", use: "sig", kid };
  return {
    jwks: () => ({ keys: [jwk] }),
    sign(claims: Record<string, unknown>, lifetimeSeconds = 3600): Promise<string> {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: "RS256", kid, typ: "JWT" })
        .setIssuedAt()
        .setExpirationTime(`${lifetimeSeconds}s`)
        .sign(privateKey);
    },
  };
}

export type IdTokenSigner = Awaited<ReturnType<typeof createIdTokenSigner>>;

/** OIDC Core 3.1.3.6: the left half of the SHA-256 of the access token, base64url. */
export const atHash = (accessToken: string) =>
  createHash("sha256").update(accessToken).digest().subarray(0, 16).toString("base64url");
