import { entraId } from "@roster/connector-entra-id";
import { googleWorkspace } from "@roster/connector-google";
import { type Connector, createRegistry } from "@roster/connector-kit";
import type { Config } from "./config.ts";

/**
 * The installed connectors: the one place a new directory is added. A connector is a
 * package under connectors/ implementing the interface of @roster/connector-kit.
 */
export const installedConnectors = (config: Config): Connector[] => [
  entraId({ authorityHost: config.AZURE_AUTHORITY_HOST, graphBaseUrl: config.GRAPH_BASE_URL }),
  googleWorkspace({
    tokenUrl: config.GOOGLE_TOKEN_URL,
    directoryUrl: config.GOOGLE_DIRECTORY_URL,
    issuerUrl: config.GOOGLE_ISSUER_URL,
  }),
];

export const connectorRegistry = (connectors: Connector[]) => createRegistry(connectors);
