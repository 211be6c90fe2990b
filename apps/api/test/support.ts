import { entraId } from "@roster/connector-entra-id";
import { googleWorkspace } from "@roster/connector-google";
import { createRegistry } from "@roster/connector-kit";
import {
  type Clock,
  type CoreDeps,
  createKeyring,
  memoryLogger,
  parseSecretKey,
  RunTracker,
  systemClock,
} from "@roster/core";
import { createDb, migrateDb } from "@roster/db";
import { createTestDatabase } from "@roster/db/testing";
import { createEmailTransport } from "@roster/email";
import { type EntraSim, generateTenant, SimDirectory, startEntraSim } from "@roster/entra-sim";
import {
  type GeneratedWorkspace,
  type GoogleSim,
  generateWorkspace,
  SimGoogle,
  type SimWorkspace,
  startGoogleSim,
} from "@roster/google-sim";
import { createApp } from "../src/app.ts";

export const OPERATOR_TOKEN = "operator-token-for-tests-0123456789";
export const PUBLIC_URL = "http://roster.test";

/** What Bun's server hands `fetch` as its second argument: `requestIP` for `getConnInfo`. */
const peer = (address: string) => ({
  requestIP: () => ({ address, family: address.includes(":") ? "IPv6" : "IPv4", port: 40000 }),
});

/**
 * The API over a fresh database (a file, or its own sqld with `ROSTER_TEST_DB=sqld`), with
 * the Entra simulator as the directory.
 */
export async function testApi(
  options: {
    users?: number;
    app?: Partial<Parameters<typeof createApp>[0]>;
    deps?: Partial<CoreDeps>;
    publicUrl?: string;
    clock?: Clock;
    /** Also start the Google Workspace simulator, with a Workspace of this many users. */
    google?: { users: number };
  } = {},
) {
  const publicUrl = options.publicUrl ?? options.app?.publicUrl ?? PUBLIC_URL;
  const directory = new SimDirectory();
  // The app registration lists Roster's redirect URI, as the admin is told to add it.
  const entra = generateTenant(directory, {
    users: options.users ?? 120,
    seed: 5,
    redirectUris: [`${publicUrl}/api/auth/sso/microsoft/callback`],
  });
  const sim: EntraSim = await startEntraSim({ directory });
  const google = options.google ? await startGoogle(options.google.users, publicUrl) : null;
  const database = await createTestDatabase("api");
  const db = await createDb({ url: database.url });
  await migrateDb(db.db);
  const log = memoryLogger();
  const deps = {
    db,
    clock: options.clock ?? systemClock,
    log,
    keyring: createKeyring(parseSecretKey(Buffer.alloc(32, 3).toString("base64"))),
    connectors: createRegistry([
      entraId({
        authorityHost: sim.url,
        graphBaseUrl: sim.url,
        retry: { delaySeconds: 0, maxRetries: 1 },
        pageRetryDelayMs: 1,
      }),
      google
        ? googleWorkspace({
            tokenUrl: google.sim.tokenUrl,
            directoryUrl: google.sim.directoryUrl,
            issuerUrl: google.sim.issuerUrl,
            backoff: { attempts: 2, baseMs: 1, maxMs: 2 },
            transientRetry: { retries: 1, delayMs: 1 },
          })
        : googleWorkspace(),
    ]),
    email: createEmailTransport({}),
    tracker: new RunTracker(),
    ...options.deps,
  };
  const app = createApp({
    deps,
    operatorToken: OPERATOR_TOKEN,
    localOutbox: true,
    loginThrottle: { freeFailures: 5 },
    ...options.app,
    publicUrl,
  });
  const bodies: string[] = [];

  /** Calls the app like a client would; every response body is kept to scan for secrets. */
  const call = async (
    method: string,
    path: string,
    init: {
      token?: string;
      body?: unknown;
      /** A body sent as is, e.g. malformed JSON. */
      raw?: string;
      headers?: Record<string, string>;
      /** The peer address Bun's server would report (default 192.0.2.1). */
      from?: string;
    } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined || init.raw !== undefined) {
      if (!headers["content-type"]) headers["content-type"] = "application/json";
    }
    const response = await app.request(
      `${PUBLIC_URL}${path}`,
      {
        method,
        headers,
        body: init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
      },
      peer(init.from ?? "192.0.2.1"),
    );
    const text = await response.text();
    bodies.push(text);
    const isJson = response.headers.get("content-type")?.includes("json");
    return {
      status: response.status,
      headers: response.headers,
      text,
      json: text && isJson ? JSON.parse(text) : null,
    };
  };

  const createTenant = async (slug: string) => {
    const password = `pw-${slug}-long-enough`;
    const created = await call("POST", "/api/tenants", {
      token: OPERATOR_TOKEN,
      body: {
        slug,
        name: `${slug} Ltd`,
        admin: { email: `admin@${slug}.test`, password, firstName: "Ada", lastName: "Admin" },
      },
    });
    if (created.status !== 201) throw new Error(`tenant: ${created.text}`);
    const login = await call("POST", "/api/auth/login", {
      body: { tenant: slug, email: `admin@${slug}.test`, password },
    });
    return {
      tenant: created.json.tenant,
      admin: created.json.admin,
      token: login.json.token as string,
      password,
    };
  };

  /** Polls a background preview until it is no longer running, as the admin UI does. */
  const waitForPreview = async (token: string, previewId: string, ms = 30_000) => {
    const end = Date.now() + ms;
    for (;;) {
      const preview = await call("GET", `/api/user-sync/previews/${previewId}`, { token });
      if (preview.json?.status !== "running") return preview.json;
      if (Date.now() > end) throw new Error(`preview ${previewId} still running`);
      await Bun.sleep(25);
    }
  };

  const stop = async () => {
    await deps.tracker.idle();
    await sim.stop();
    await google?.sim.stop();
    db.close();
    await database.stop();
  };
  return {
    app,
    deps,
    sim,
    entra,
    directory,
    google,
    call,
    bodies,
    createTenant,
    stop,
    log,
    publicUrl,
    waitForPreview,
  };
}

/** The Google simulator with one Workspace whose sign-in OAuth client lists Roster's redirect URI. */
async function startGoogle(
  users: number,
  publicUrl: string,
): Promise<{ sim: GoogleSim; ws: GeneratedWorkspace; model: SimWorkspace }> {
  const google = new SimGoogle();
  const ws = generateWorkspace(google, {
    users,
    seed: 7,
    redirectUris: [`${publicUrl}/api/auth/sso/google/callback`],
  });
  const sim = await startGoogleSim({ google });
  return { sim, ws, model: google.workspaces.get(ws.customerId) as SimWorkspace };
}
