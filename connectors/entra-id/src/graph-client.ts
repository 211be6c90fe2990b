import { ClientSecretCredential } from "@azure/identity";
import { Client, RetryHandlerOptions } from "@microsoft/microsoft-graph-client";
import { TokenCredentialAuthenticationProvider } from "@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials";

export type EntraHosts = {
  /** Entra sign-in host; `AZURE_AUTHORITY_HOST` (national clouds, the simulator). */
  authorityHost: string;
  /** Microsoft Graph origin; `GRAPH_BASE_URL`. */
  graphBaseUrl: string;
};

export type RetryPolicy = {
  /** Seconds to wait when Graph sends no `Retry-After` (the SDK's own default is 3). */
  delaySeconds: number;
  /** Retries per request for 429/503/504 (the SDK caps it at 10). */
  maxRetries: number;
};

const MICROSOFT_AUTHORITIES = new Set([
  "login.microsoftonline.com",
  "login.microsoftonline.us",
  "login.chinacloudapi.cn",
  "login.partner.microsoftonline.cn",
]);
const MICROSOFT_GRAPH_HOSTS = new Set([
  "graph.microsoft.com",
  "graph.microsoft.us",
  "dod-graph.microsoft.us",
  "microsoftgraph.chinacloudapi.cn",
]);

export type GraphSession = { client: Client; retry: RetryHandlerOptions };

/**
 * One signed-in Graph client for one connection. For hosts that are not Microsoft's, MSAL
 * must skip instance discovery (it would call login.microsoftonline.com) and graph-client
 * must list the host in `customHosts`, or it silently drops the Authorization header.
 */
export function openGraph(
  hosts: EntraHosts,
  retry: RetryPolicy,
  credentials: { directoryId: string; applicationId: string; secret: string },
): GraphSession {
  const authority = new URL(hosts.authorityHost);
  const graph = new URL(hosts.graphBaseUrl);
  const credential = new ClientSecretCredential(
    credentials.directoryId,
    credentials.applicationId,
    credentials.secret,
    {
      authorityHost: authority.origin,
      disableInstanceDiscovery: !MICROSOFT_AUTHORITIES.has(authority.hostname),
    },
  );
  const isMicrosoftGraph = MICROSOFT_GRAPH_HOSTS.has(graph.hostname);
  const client = Client.initWithMiddleware({
    authProvider: new TokenCredentialAuthenticationProvider(credential, {
      // The resource is the Graph origin itself: https://graph.microsoft.com/.default in the public cloud.
      scopes: [`${graph.origin}/.default`],
    }),
    baseUrl: graph.origin,
    customHosts: isMicrosoftGraph ? undefined : new Set([graph.hostname]),
  });
  return { client, retry: new RetryHandlerOptions(retry.delaySeconds, retry.maxRetries) };
}
