import { createHash } from "node:crypto";
import * as oidc from "openid-client";

export type OidcClient = { issuer: string; clientId: string; clientSecret: string };

/** Discovery and the JWKS fetch give up after this long: the browser is waiting. */
const TIMEOUT_SECONDS = 10;

/**
 * openid-client configurations, one per connection, discovered on first use and rebuilt
 * when the connection's issuer, client id or secret change. A failed discovery is not kept,
 * so the next sign-in tries again.
 */
export function createOidcConfigurations() {
  const cache = new Map<string, { fingerprint: string; config: Promise<oidc.Configuration> }>();

  const discover = async (client: OidcClient) => {
    // A string secret means client_secret_post, which Entra and Google both accept.
    const config = await oidc.discovery(
      new URL(client.issuer),
      client.clientId,
      client.clientSecret,
      undefined,
      { timeout: TIMEOUT_SECONDS },
    );
    // Without this openid-client trusts TLS alone and never checks the ID token's
    // signature against the JWKS (sign-in-fidelity.md, trap 1).
    oidc.enableNonRepudiationChecks(config);
    return config;
  };

  return {
    get(connectionId: string, client: OidcClient): Promise<oidc.Configuration> {
      const fingerprint = createHash("sha256")
        .update(`${client.issuer}\n${client.clientId}\n${client.clientSecret}`)
        .digest("hex");
      const cached = cache.get(connectionId);
      if (cached?.fingerprint === fingerprint) return cached.config;
      const config = discover(client);
      cache.set(connectionId, { fingerprint, config });
      config.catch(() => {
        if (cache.get(connectionId)?.config === config) cache.delete(connectionId);
      });
      return config;
    },
  };
}

export type OidcConfigurations = ReturnType<typeof createOidcConfigurations>;
