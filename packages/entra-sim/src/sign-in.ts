import { Hono } from "hono";
import { authorizeRoutes } from "./delegated/authorize.ts";
import { type IdTokenFaults, redeemCode } from "./delegated/code-grant.ts";
import type { CodeStore } from "./delegated/codes.ts";
import type { IdTokenSigner } from "./delegated/id-tokens.ts";
import { aadError, unknownTenant } from "./errors.ts";
import type { SimApp, SimDirectory, SimTenant } from "./model.ts";
import { GRAPH_AUDIENCE, type TokenSigner } from "./tokens.ts";

export type SignInOptions = {
  directory: SimDirectory;
  signer: TokenSigner;
  idTokens: IdTokenSigner;
  codes: CodeStore;
  origin: () => string;
  idTokenFaults: () => IdTokenFaults;
};

/**
 * The client secret from the body (`client_secret_post`) or an HTTP Basic header, whose
 * parts are form-urlencoded before base64 (RFC 6749 §2.3.1; Entra decodes them too:
 * learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow, "The Basic auth
 * pattern of instead providing credentials in the Authorization header … is also supported").
 */
function clientCredentials(header: string | undefined, form: URLSearchParams) {
  const basic = /^Basic\s+(.+)$/i.exec(header ?? "")?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const decode = (part: string) => decodeURIComponent(part.replaceAll("+", " "));
    return {
      clientId: decode(decoded.slice(0, colon)),
      secret: decode(decoded.slice(colon + 1)),
    };
  }
  return { clientId: form.get("client_id") ?? "", secret: form.get("client_secret") };
}

/** 700016 / 7000215 / 7000222 / 7000218: the app and its secret, for every grant. */
function authenticateClient(
  tenant: SimTenant,
  clientId: string,
  secret: string | null,
  missingSecret: () => Response,
): SimApp | Response {
  const app = tenant.apps.get(clientId.toLowerCase()) ?? tenant.apps.get(clientId);
  if (!app) {
    return aadError(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.info.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  if (!secret) return missingSecret();
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
  return app;
}

/**
 * The Entra sign-in host: OIDC discovery, the signing keys, `/authorize` for users and the
 * v2.0 token endpoint for client credentials (sync) and authorization codes (sign-in).
 * Sources: learn.microsoft.com/entra/identity-platform/v2-protocols-oidc,
 * learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
 * learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow,
 * learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
export function signInRoutes(options: SignInOptions) {
  const { directory, signer, origin } = options;
  const app = new Hono();
  const issuerOf = (tenantId: string) => `${origin()}/${tenantId}/v2.0`;

  app.get("/:tenant/v2.0/.well-known/openid-configuration", (c) => {
    const tenantParam = c.req.param("tenant");
    const tenant = directory.find(tenantParam);
    if (!tenant) return unknownTenant(tenantParam);
    // MSAL checks that `issuer` shares the authority's scheme, host and port; openid-client
    // that it equals the URL discovery started from. No `code_challenge_methods_supported`
    // and no `authorization_response_iss_parameter_supported`: Entra advertises neither.
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
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: issuerOf(tenant.info.id),
      request_uri_parameter_supported: false,
      userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        "sub",
        "iss",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "preferred_username",
        "name",
        "tid",
        "ver",
        "email",
      ],
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com",
      msgraph_host: "graph.microsoft.com",
    });
  });

  app.get("/:tenant/discovery/v2.0/keys", (c) => {
    const tenantParam = c.req.param("tenant");
    if (!directory.find(tenantParam)) return unknownTenant(tenantParam);
    return c.json(options.idTokens.jwks(`${origin()}/{tenantid}/v2.0`));
  });

  app.route("/", authorizeRoutes(directory, options.codes));

  app.post("/:tenant/oauth2/v2.0/token", async (c) => {
    const tenantParam = c.req.param("tenant");
    const tenant = directory.find(tenantParam);
    if (!tenant) return unknownTenant(tenantParam);
    const form = new URLSearchParams(await c.req.text());
    const grantType = form.get("grant_type") ?? "";
    const { clientId, secret } = clientCredentials(c.req.header("authorization"), form);

    if (grantType === "authorization_code") {
      const client = authenticateClient(tenant, clientId, secret, () =>
        aadError(
          401,
          "invalid_client",
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        ),
      );
      if (client instanceof Response) return client;
      return redeemCode({
        tenant,
        app: client,
        form,
        codes: options.codes,
        signer,
        idTokens: options.idTokens,
        issuerOf,
        faults: options.idTokenFaults(),
      });
    }

    if (grantType !== "client_credentials") {
      return aadError(
        400,
        "unsupported_grant_type",
        70003,
        `The app requested an unsupported grant type '${grantType}'.`,
      );
    }
    const known = tenant.apps.get(clientId.toLowerCase()) ?? tenant.apps.get(clientId);
    const scope = form.get("scope") ?? "";
    if (known && !scope.endsWith("/.default")) {
      return aadError(
        400,
        "invalid_scope",
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const client = authenticateClient(tenant, clientId, secret, () =>
      aadError(
        401,
        "invalid_client",
        7000216,
        "'client_assertion', 'client_secret' or 'request' is required for the 'client_credentials' grant type.",
      ),
    );
    if (client instanceof Response) return client;
    const resource = scope.slice(0, -"/.default".length);
    const token = await signer.sign({
      tid: tenant.info.id,
      appid: client.clientId,
      roles: [...client.roles],
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
