import { ensureCertificate } from "@roster/entra-sim";
import { Hono } from "hono";
import { controlRoutes } from "./control.ts";
import { directoryRoutes } from "./directory.ts";
import { oauthError } from "./errors.ts";
import { emptyCounts, type Faults, type RequestCounts } from "./faults.ts";
import { SimGoogle } from "./model.ts";
import { tokenRoutes } from "./oauth.ts";
import { signInRoutes } from "./sign-in.ts";
import { AccessTokens, AuthorizationCodes, createIdTokenSigner } from "./tokens.ts";

export type GoogleSimOptions = {
  google?: SimGoogle;
  /** 0 (default) picks a free port. */
  port?: number;
  hostname?: string;
  /** Access-token lifetime; Google issues 3599 s. The libraries renew 300 s before expiry. */
  tokenLifetimeSeconds?: number;
  /** Folder of `cert.pem` / `key.pem`; the same certificate as the Entra simulator by default. */
  certDir?: string;
  /** Turns on the `/_sim/*` control routes (header `x-sim-control`). */
  controlToken?: string;
};

export type GoogleSim = {
  /**
   * One origin standing in for oauth2.googleapis.com (`/token`), admin.googleapis.com
   * (`/admin/directory/v1/…`) and accounts.google.com (the OIDC issuer).
   */
  url: string;
  /** `GOOGLE_TOKEN_URL`. */
  tokenUrl: string;
  /** `GOOGLE_DIRECTORY_URL` (the `rootUrl` of `@googleapis/admin`). */
  directoryUrl: string;
  /** `GOOGLE_ISSUER_URL`. */
  issuerUrl: string;
  certPath: string;
  google: SimGoogle;
  setFaults(faults: Faults): void;
  counts: RequestCounts;
  resetCounts(): void;
  stop(): Promise<void>;
};

/** Starts the Google Workspace (OAuth, Directory API, OpenID Connect) simulator over HTTPS. */
export async function startGoogleSim(options: GoogleSimOptions = {}): Promise<GoogleSim> {
  const google = options.google ?? new SimGoogle();
  const { cert, key, certPath } = await ensureCertificate(options.certDir);
  const tokens = new AccessTokens(options.tokenLifetimeSeconds ?? 3599);
  const codes = new AuthorizationCodes();
  const idTokens = await createIdTokenSigner();
  const hostname = options.hostname ?? "localhost";
  let url = "";
  let faults: Faults = {};
  const counts = emptyCounts();
  const setFaults = (next: Faults) => {
    faults = structuredClone(next);
  };

  const app = new Hono();
  app.use("/token", async (_c, next) => {
    counts.token += 1;
    if (faults.tokenUnavailable) {
      return oauthError(503, "temporarily_unavailable", "The service is currently unavailable.");
    }
    await next();
  });
  if (options.controlToken) {
    app.route("/_sim", controlRoutes({ google, token: options.controlToken, setFaults, counts }));
  }
  app.route("/", tokenRoutes({ google, tokens, codes, idTokens, issuer: () => url }));
  app.route("/", signInRoutes({ google, tokens, codes, idTokens, origin: () => url }));
  app.route("/", directoryRoutes({ google, tokens, faults: () => faults, counts }));
  app.notFound(() =>
    Response.json(
      { error: { code: 404, message: "Not Found", errors: [{ reason: "notFound" }] } },
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
    tokenUrl: `${url}/token`,
    directoryUrl: `${url}/`,
    issuerUrl: url,
    certPath,
    google,
    setFaults,
    counts,
    resetCounts() {
      Object.assign(counts, emptyCounts());
    },
    stop: () => server.stop(true),
  };
}
