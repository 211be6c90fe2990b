import { errors, jwtVerify, SignJWT } from "jose";

export const GRAPH_AUDIENCE = "https://graph.microsoft.com";

export type AccessClaims = { tid: string; appid: string; roles: string[]; aud: string };

/**
 * Signs and checks the simulator's access tokens. Real app-only Graph tokens are JWTs with
 * `aud`, `tid`, `appid` and the granted application permissions in `roles`
 * (learn.microsoft.com/entra/identity-platform/access-token-claims-reference).
 */
export function createTokenSigner(lifetimeSeconds: number) {
  const key = crypto.getRandomValues(new Uint8Array(32));
  return {
    lifetimeSeconds,
    async sign(claims: AccessClaims): Promise<string> {
      return new SignJWT({ tid: claims.tid, appid: claims.appid, roles: claims.roles })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(`https://sts.windows.net/${claims.tid}/`)
        .setAudience(claims.aud)
        .setIssuedAt()
        .setNotBefore("0s")
        .setExpirationTime(`${lifetimeSeconds}s`)
        .sign(key);
    },
    /** The claims, or the message Graph answers with for this kind of bad token. */
    async verify(token: string): Promise<AccessClaims | { invalid: string }> {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"] });
        return {
          tid: String(payload.tid),
          appid: String(payload.appid),
          roles: Array.isArray(payload.roles) ? payload.roles.map(String) : [],
          aud: String(payload.aud),
        };
      } catch (error) {
        if (error instanceof errors.JWTExpired) {
          return { invalid: "Access token has expired or is not yet valid." };
        }
        return { invalid: "CompactToken parsing failed with error code: 80049217" };
      }
    },
  };
}

export type TokenSigner = ReturnType<typeof createTokenSigner>;
