import { createHash } from "node:crypto";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** A base64url `kid` of 27 characters, shaped like Entra's (it equals the key's `x5t`). */
const newKid = () => Buffer.from(crypto.getRandomValues(new Uint8Array(20))).toString("base64url");

type SigningKey = { kid: string; privateKey: CryptoKey; jwk: JWK };

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid: newKid(), privateKey, jwk: await exportJWK(publicKey) };
}

export type IdTokenClaims = Record<string, unknown>;

/**
 * RS256 ID tokens and the JWKS that verifies them. The published key signs every token;
 * a second, unpublished key stands in for a forger (test fault `idToken.unpublishedKey`).
 * Sources: learn.microsoft.com/entra/identity-platform/id-tokens,
 * learn.microsoft.com/entra/identity-platform/access-tokens ("Validate the signature":
 * keys at `jwks_uri`, `kid` in the header, no `alg` on the keys, a per-key `issuer`).
 */
export async function createIdTokenSigner() {
  const published = await newSigningKey();
  // The forger names the published `kid`, so only the signature can give it away.
  const unpublished = { ...(await newSigningKey()), kid: published.kid };
  return {
    /** `/{tenant}/discovery/v2.0/keys`: what Entra publishes, minus the `x5c` chain. */
    jwks(issuerTemplate: string) {
      const { n, e } = published.jwk;
      return {
        keys: [
          {
            kty: "RSA",
            use: "sig",
            kid: published.kid,
            x5t: published.kid,
            n,
            e,
            issuer: issuerTemplate,
          },
        ],
      };
    },
    async sign(claims: IdTokenClaims, options: { unpublishedKey?: boolean } = {}) {
      const key = options.unpublishedKey ? unpublished : published;
      return new SignJWT(claims)
        .setProtectedHeader({ typ: "JWT", alg: "RS256", kid: key.kid })
        .sign(key.privateKey);
    },
  };
}

export type IdTokenSigner = Awaited<ReturnType<typeof createIdTokenSigner>>;

/**
 * `sub` is pairwise: the same user has a different `sub` in every app and tenant
 * (learn.microsoft.com/entra/identity-platform/id-token-claims-reference, "sub").
 */
export const pairwiseSub = (clientId: string, tenantId: string, userId: string) =>
  createHash("sha256").update(`${clientId}|${tenantId}|${userId}`).digest("base64url").slice(0, 43);
