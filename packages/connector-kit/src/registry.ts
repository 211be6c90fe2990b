import { type Connector, defineConnector } from "./connector.ts";

export type ConnectorRegistry = {
  list(): readonly Connector[];
  get(type: string): Connector | undefined;
};

/**
 * Builds the lookup of installed connectors; a duplicate `type` is a programming error.
 * Each goes through `defineConnector`, so even a plain object's reads are guarded.
 */
export function createRegistry(connectors: readonly Connector[]): ConnectorRegistry {
  const byType = new Map<string, Connector>();
  for (const connector of connectors) {
    if (byType.has(connector.type)) {
      throw new Error(`Two connectors declare the type "${connector.type}"`);
    }
    byType.set(connector.type, defineConnector(connector));
  }
  return { list: () => [...byType.values()], get: (type) => byType.get(type) };
}
