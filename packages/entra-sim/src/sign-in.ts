import { Hono } from "hono";
import { aadError, unknownTenant } from "./errors.ts";
import type { SimDirectory } from "./model.ts";
import { GRAPH_AUDIENCE, type TokenSigner } from "./tokens.ts";

/**
 * The Entra sign-in host as `@azure/identity` (MSAL) uses it for client credentials:
 * OIDC discovery, then the v2.0 token endpoint.
 * Sources: learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
 * learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
export function signInRoutes(directory: SimDirectory, signer: TokenSigner, origin: () => string) {
  const app = new Hono();

  app.get("/:tenant/v2.0/.well-known/openid-configuration", (c) => {
    const tenantParam = c.req.param("tenant");
    const tenant = directory.find(tenantParam);
    if (!tenant) return unknownTenant(tenantParam);
    // MSAL checks that `issuer` shares the authority's scheme, host and port.
    const base = `${origin()}/${tenant.info.id}`;
    return c.json({
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
      ],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
      msgraph_host: "graph.microsoft.com",
    });
  });

  app.post("/:tenant/oauth2/v2.0/token", async (c) => {
    const tenantParam = c.req.param("tenant");
    const tenant = directory.find(tenantParam);
    if (!tenant) return unknownTenant(tenantParam);
    const form = new URLSearchParams(await c.req.text());
    const grantType = form.get("grant_type") ?? "";
    if (grantType !== "client_credentials") {
      return aadError(
        400,
        "unsupported_grant_type",
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const clientId = form.get("client_id") ?? "";
    const app = tenant.apps.get(clientId.toLowerCase()) ?? tenant.apps.get(clientId);
    if (!app) {
      return aadError(
        400,
        "unauthorized_client",
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant.info.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
      );
    }
    const scope = form.get("scope") ?? "";
    if (!scope.endsWith("/.default")) {
      return aadError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const secret = form.get("client_secret");
    if (!secret) {
      return aadError(
        401,
        "invalid_client",
        7000216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      );
    }
    const match = app.secrets.find((candidate) => candidate.value === secret);
    if (!match) {
      return aadError(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.clientId}'.`,
      );
    }
    if (match.expiresAt.getTime() <= Date.now()) {
      return aadError(
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${app.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
      );
    }
    const resource = scope.slice(0, -"/.default".length);
    const token = await signer.sign({
      tid: tenant.info.id,
      appid: app.clientId,
      roles: [...app.roles],
      aud: resource === origin() ? origin() : GRAPH_AUDIENCE,
    });
    return c.json({
      token_type: "Bearer",
      expires_in: signer.lifetimeSeconds,
      ext_expires_in: signer.lifetimeSeconds,
      access_token: token,
    });
  });

  return app;
}
