import { Hono } from "hono";
import type { SimApp, SimDirectory, SimTenant, SimUser } from "../model.ts";
import type { CodeStore } from "./codes.ts";
import { errorPage, signInPage } from "./pages.ts";

/** How many accounts the picker lists (the `login_hint` user always comes first). */
const PICKER_SIZE = 25;

type AuthorizeRequest = {
  tenant: SimTenant;
  app: SimApp;
  redirectUri: string;
  state: string | null;
  scope: string[];
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: "S256" | "plain";
};

/**
 * A redirect back to the app with `error`, `error_description` (AADSTS code and the trace
 * lines, CRLF-separated) and `error_uri`, `state` last — the wire form quoted in
 * MicrosoftDocs/azure-docs#114009 and learn.microsoft.com/entra/identity-platform/
 * v2-oauth2-auth-code-flow ("Error response").
 */
function errorRedirect(
  redirectUri: string,
  state: string | null,
  error: string,
  code: number,
  message: string,
): Response {
  const url = new URL(redirectUri);
  const trace = `Trace ID: ${crypto.randomUUID()}\r\nCorrelation ID: ${crypto.randomUUID()}\r\nTimestamp: ${new Date().toISOString().slice(0, 19).replace("T", " ")}Z`;
  url.searchParams.set("error", error);
  url.searchParams.set("error_description", `AADSTS${code}: ${message}\r\n${trace}`);
  url.searchParams.set("error_uri", `https://login.microsoftonline.com/error?code=${code}`);
  if (state !== null) url.searchParams.set("state", state);
  return Response.redirect(url.href, 302);
}

/**
 * Validates an authorize request in the order the reference simulator uses (the real order
 * is not documented). Anything that makes the redirect URI untrustworthy is a page, never
 * a redirect (RFC 6749 §4.1.2.1; learn.microsoft.com/entra/identity-platform/
 * reference-error-codes for the AADSTS codes and wording).
 */
function validate(
  directory: SimDirectory,
  tenantParam: string,
  params: URLSearchParams,
): AuthorizeRequest | Response {
  const tenant = directory.find(tenantParam);
  if (!tenant) {
    return errorPage(
      90002,
      `Tenant '${tenantParam}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  const clientId = params.get("client_id") ?? "";
  if (!clientId) {
    return errorPage(900144, "The request body must contain the following parameter: 'client_id'.");
  }
  const app = tenant.apps.get(clientId.toLowerCase()) ?? tenant.apps.get(clientId);
  if (!app) {
    return errorPage(
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.info.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const redirectUri = params.get("redirect_uri") ?? "";
  const registered = app.redirectUris ?? [];
  if (registered.length === 0) {
    return errorPage(500113, "No reply address is registered for the application.");
  }
  // Exact, case-sensitive match, a trailing slash included (learn.microsoft.com/entra/
  // identity-platform/reply-url, "Restrictions").
  if (!registered.some((entry) => entry.uri === redirectUri)) {
    return errorPage(
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${app.clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix this.`,
    );
  }
  const state = params.get("state");
  const responseType = params.get("response_type") ?? "";
  if (responseType !== "code") {
    return errorRedirect(
      redirectUri,
      state,
      "unsupported_response_type",
      700054,
      `response_type '${responseType}' is not enabled for the application.`,
    );
  }
  const responseMode = params.get("response_mode") ?? "query";
  if (responseMode !== "query") {
    // Entra supports form_post and fragment too; this simulator answers only in the query.
    return errorRedirect(
      redirectUri,
      state,
      "invalid_request",
      900144,
      `The simulator supports response_mode 'query' only, not '${responseMode}'.`,
    );
  }
  const scope = (params.get("scope") ?? "").split(/\s+/).filter(Boolean);
  if (scope.length === 0) {
    return errorRedirect(
      redirectUri,
      state,
      "invalid_request",
      900144,
      "The request body must contain the following parameter: 'scope'.",
    );
  }
  const codeChallenge = params.get("code_challenge");
  // Without a method Entra assumes `plain` (v2-oauth2-auth-code-flow, "code_challenge_method").
  const method = params.get("code_challenge_method") ?? "plain";
  if (method !== "S256" && method !== "plain") {
    return errorRedirect(
      redirectUri,
      state,
      "invalid_request",
      501491,
      `Invalid code_challenge_method '${method}'. Supported values are 'S256' and 'plain'.`,
    );
  }
  return {
    tenant,
    app,
    redirectUri,
    state,
    scope,
    nonce: params.get("nonce"),
    codeChallenge,
    codeChallengeMethod: method,
  };
}

/** A user of this tenant by object id or UPN; 50020 for another tenant's, 50034 for nobody. */
function findUser(directory: SimDirectory, tenant: SimTenant, login: string): SimUser | Response {
  const own = tenant.getUser(login) ?? tenant.findUserByUpn(login);
  if (own) return own;
  const domain = login.split("@")[1]?.toLowerCase();
  const elsewhere = directory
    .list()
    .find((other) => other !== tenant && (other.getUser(login) || other.findUserByUpn(login)));
  if (elsewhere || (domain && directory.find(domain) && directory.find(domain) !== tenant)) {
    return errorPage(
      50020,
      `User account '{EmailHidden}' from identity provider 'https://sts.windows.net/${elsewhere?.info.id ?? domain}/' does not exist in tenant '${tenant.info.displayName}' and cannot access the application '${tenant.info.id}'(Roster) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`,
    );
  }
  return errorPage(
    50034,
    `The user account {EmailHidden} does not exist in the '${tenant.info.id}' directory. To sign into this application, the account must be added to the directory.`,
  );
}

/**
 * The delegated side of `/authorize`: validation, the account picker, and the redirect with
 * a code. Tests may skip the page with `sim_user=<object id or UPN>` and decline consent
 * with `sim_consent=decline` (simulator-only parameters).
 */
export function authorizeRoutes(directory: SimDirectory, codes: CodeStore) {
  const app = new Hono();

  const signIn = (request: AuthorizeRequest, login: string, decline: boolean): Response => {
    if (decline) {
      return errorRedirect(
        request.redirectUri,
        request.state,
        "access_denied",
        65004,
        "User declined to consent to access the app.",
      );
    }
    const user = findUser(directory, request.tenant, login);
    if (user instanceof Response) return user;
    if (!user.accountEnabled) {
      return errorPage(50057, "The user account is disabled.");
    }
    const code = codes.issue({
      tenantId: request.tenant.info.id,
      clientId: request.app.clientId,
      redirectUri: request.redirectUri,
      userId: user.id,
      scope: request.scope,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
    });
    const url = new URL(request.redirectUri);
    url.searchParams.set("code", code);
    if (request.state !== null) url.searchParams.set("state", request.state);
    url.searchParams.set("session_state", crypto.randomUUID());
    return Response.redirect(url.href, 302);
  };

  app.get("/:tenant/oauth2/v2.0/authorize", (c) => {
    const params = new URL(c.req.url).searchParams;
    const request = validate(directory, c.req.param("tenant"), params);
    if (request instanceof Response) return request;
    const chosen = params.get("sim_user");
    if (chosen) return signIn(request, chosen, params.get("sim_consent") === "decline");
    const hint = params.get("login_hint") ?? "";
    const hinted = hint ? request.tenant.findUserByUpn(hint) : undefined;
    const others = request.tenant
      .sortedUsers()
      .filter((user) => user !== hinted)
      .slice(0, PICKER_SIZE - (hinted ? 1 : 0));
    return signInPage(
      request.tenant,
      `/${c.req.param("tenant")}/oauth2/v2.0/authorize`,
      params,
      hint,
      hinted ? [hinted, ...others] : others,
    );
  });

  app.post("/:tenant/oauth2/v2.0/authorize", async (c) => {
    const form = new URLSearchParams(await c.req.text());
    const request = validate(directory, c.req.param("tenant"), form);
    if (request instanceof Response) return request;
    const login = form.get("user") || form.get("login") || "";
    return signIn(request, login, form.get("action") === "decline");
  });

  return app;
}
