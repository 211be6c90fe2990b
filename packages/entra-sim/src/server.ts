import { Hono } from "hono";
import { ensureCertificate } from "./certs.ts";
import { controlRoutes } from "./control.ts";
import { createCodeStore } from "./delegated/codes.ts";
import { createIdTokenSigner } from "./delegated/id-tokens.ts";
import { emptyCounts, type Faults, type RequestCounts } from "./faults.ts";
import { graphRoutes } from "./graph/routes.ts";
import { SimDirectory } from "./model.ts";
import { signInRoutes } from "./sign-in.ts";
import { createTokenSigner } from "./tokens.ts";

export type EntraSimOptions = {
  directory?: SimDirectory;
  /** 0 (default) picks a free port. */
  port?: number;
  hostname?: string;
  /** Access-token lifetime; Entra issues about an hour. MSAL renews 300 s before expiry. */
  tokenLifetimeSeconds?: number;
  /** Folder holding `cert.pem` / `key.pem`; created on first use. */
  certDir?: string;
  /** Turns on the `/_sim/*` control routes (header `x-sim-control`). */
  controlToken?: string;
  /**
   * Called before each Graph request is answered (in-process tests): lets a test change the
   * directory while a client is between two pages, as other admins do in a real tenant.
   */
  onGraphRequest?: (url: URL) => void;
  /** Authorization-code lifetime; Entra's codes last about 10 minutes. */
  codeLifetimeSeconds?: number;
};

export type EntraSim = {
  /** Origin serving both the sign-in host and Graph, e.g. `https://localhost:41234`. */
  url: string;
  /** PEM to trust: `NODE_EXTRA_CA_CERTS` must name it when the client process starts. */
  certPath: string;
  directory: SimDirectory;
  /** Replaces the active faults (an empty object clears them). */
  setFaults(faults: Faults): void;
  counts: RequestCounts;
  resetCounts(): void;
  stop(): Promise<void>;
};

/** Starts the Entra ID + Microsoft Graph simulator over HTTPS. */
export async function startEntraSim(options: EntraSimOptions = {}): Promise<EntraSim> {
  const directory = options.directory ?? new SimDirectory();
  const { cert, key, certPath } = await ensureCertificate(options.certDir);
  const signer = createTokenSigner(options.tokenLifetimeSeconds ?? 3599);
  const idTokens = await createIdTokenSigner();
  const codes = createCodeStore(options.codeLifetimeSeconds ?? 600);
  const hostname = options.hostname ?? "localhost";
  let url = "";
  let faults: Faults = {};
  const counts = emptyCounts();

  const app = new Hono();
  app.use("/:tenant/oauth2/v2.0/token", async (_c, next) => {
    counts.token += 1;
    await next();
  });
  if (options.controlToken) {
    const setFaults = (next: Faults) => {
      faults = structuredClone(next);
    };
    app.route(
      "/_sim",
      controlRoutes({ directory, token: options.controlToken, setFaults, counts }),
    );
  }
  app.route(
    "/",
    signInRoutes({
      directory,
      signer,
      idTokens,
      codes,
      origin: () => url,
      idTokenFaults: () => faults.idToken ?? {},
    }),
  );
  app.route(
    "/",
    graphRoutes({
      directory,
      signer,
      origin: () => url,
      faults: () => faults,
      counts,
      onRequest: options.onGraphRequest,
    }),
  );
  app.notFound(() =>
    Response.json(
      { error: "not_found", error_description: "Unknown simulator endpoint." },
      { status: 404 },
    ),
  );

  const server = Bun.serve({
    port: options.port ?? 0,
    hostname,
    tls: { cert, key },
    fetch: app.fetch,
  });
  url = `https://${hostname}:${server.port}`;

  return {
    url,
    certPath,
    directory,
    setFaults(next) {
      faults = structuredClone(next);
    },
    counts,
    resetCounts() {
      Object.assign(counts, emptyCounts());
    },
    stop: () => server.stop(true),
  };
}
