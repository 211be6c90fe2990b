import { OpenAPIHono } from "@hono/zod-openapi";
import { type CoreDeps, createDirectorySignIn } from "@roster/core";
import { bodyLimit } from "hono/body-limit";
import { trustedProxies } from "./http/client-address.ts";
import { contentSecurityPolicy } from "./http/content-security-policy.ts";
import type { AppEnv } from "./http/env.ts";
import { errorBody, handleError, zodDetails } from "./http/errors.ts";
import { createLoginThrottle, type LoginThrottleOptions } from "./http/login-throttle.ts";
import { accountRoutes } from "./routes/accounts.ts";
import { apiReferenceRoutes } from "./routes/api-reference.ts";
import { directorySignInRoutes } from "./routes/directory-sign-in.ts";
import { healthRoutes } from "./routes/health.ts";
import { operatorRoutes } from "./routes/operator.ts";
import { userSyncRoutes } from "./routes/user-sync.ts";
import { userSyncDirectoryRoutes } from "./routes/user-sync-directory.ts";
import { webRoutes } from "./routes/web.ts";

export type AppOptions = {
  deps: CoreDeps;
  /** Bearer token of the operator routes; unset turns them off. */
  operatorToken?: string;
  /** True when email goes to the local outbox (the operator may read it). */
  localOutbox: boolean;
  /** `ROSTER_PUBLIC_URL`: the origin cookie writes must come from; https makes cookies Secure. */
  publicUrl: string;
  /** `ROSTER_TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client. */
  trustedProxies?: readonly string[];
  /** Login throttling limits (defaults in `DEFAULT_LOGIN_THROTTLE`). */
  loginThrottle?: Partial<LoginThrottleOptions>;
  /**
   * False where the admin UI's assets and the reference's script are static files served in
   * front of the app (a Workers deploy, `bun run build:web`); by default the Bun server
   * bundles the UI in memory and streams the script from the installed package.
   */
  serveAssets?: boolean;
};

const MAX_BODY_BYTES = 1024 * 1024;

/** The whole HTTP surface, built without a port so tests call `app.request()`. */
export function createApp(options: AppOptions) {
  const publicUrl = new URL(options.publicUrl);
  const publicBase = options.publicUrl.replace(/\/+$/, "");
  const signIn = createDirectorySignIn({
    redirectUriOf: (provider) => `${publicBase}/api/auth/sso/${provider}/callback`,
  });
  const app = new OpenAPIHono<AppEnv>({
    // Request validation failures leave in the contract's shape, with the field issues.
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json(
          errorBody("validation_failed", "Some fields are not valid.", zodDetails(result.error)),
          400,
        );
      }
    },
  });

  app.use("*", async (c, next) => {
    const requestId = c.req.header("x-request-id") ?? crypto.randomUUID();
    c.set("deps", options.deps);
    c.set("signIn", signIn);
    c.set("requestId", requestId);
    c.set("publicOrigin", publicUrl.origin);
    c.set("log", options.deps.log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header("x-request-id", requestId);
    if (c.req.path.startsWith("/api/")) {
      c.get("log").info("request", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      });
    }
  });
  // A JSON content type with no body at all is a request without a body (clients send the
  // header on every call): a route whose body is optional then sees none, instead of
  // refusing an empty document as malformed JSON.
  app.use("*", async (c, next) => {
    const empty = c.req.header("content-length") === "0" || c.req.raw.body === null;
    if (empty && c.req.header("content-type")?.includes("json")) {
      const headers = new Headers(c.req.raw.headers);
      headers.delete("content-type");
      c.req.raw = new Request(c.req.raw, { headers });
    }
    await next();
  });
  app.use("*", contentSecurityPolicy());
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(errorBody("payload_too_large", "The request body is larger than 1 MiB."), 413),
    }),
  );
  app.onError(handleError);
  app.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}.`), 404),
  );

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "cookie", {
    type: "apiKey",
    in: "cookie",
    name: "roster_session",
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "operator", {
    type: "http",
    scheme: "bearer",
    description: "ROSTER_OPERATOR_TOKEN",
  });

  healthRoutes(app);
  accountRoutes(app, {
    throttle: createLoginThrottle(options.loginThrottle),
    trustedProxies: trustedProxies(options.trustedProxies ?? []),
    secureCookies: publicUrl.protocol === "https:",
    publicUrl: publicBase,
  });
  directorySignInRoutes(app, { publicUrl: publicBase });
  userSyncRoutes(app);
  userSyncDirectoryRoutes(app);
  operatorRoutes(app, { operatorToken: options.operatorToken, localOutbox: options.localOutbox });

  app.doc31("/api/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Roster API",
      version: "0.1.0",
      description: "Keeps an application's users in step with its customers' identity directories.",
    },
  });
  apiReferenceRoutes(app, { serveScript: options.serveAssets !== false });
  webRoutes(app, { serveAssets: options.serveAssets !== false });
  return app;
}

export type App = ReturnType<typeof createApp>;
