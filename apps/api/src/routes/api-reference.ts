import { dirname, join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import type { AppEnv } from "../http/env.ts";

/**
 * The API reference's browser bundle, from the installed `@scalar/api-reference` (no CDN).
 * Resolved when first asked for, not at load (a Workers bundle has no package folder).
 */
export const scalarStandaloneBundle = () =>
  join(
    dirname(Bun.resolveSync("@scalar/api-reference", import.meta.dir)),
    "browser",
    "standalone.js",
  );

/**
 * `/api/docs`: Scalar's reference of `/api/openapi.json`, every asset served from here (the
 * script by this route, or as a static file built by `bun run build:web` at the edge).
 */
export function apiReferenceRoutes(app: OpenAPIHono<AppEnv>, options: { serveScript: boolean }) {
  if (options.serveScript) {
    app.get("/api/docs/scalar.js", (c) => {
      c.header("content-type", "text/javascript; charset=utf-8");
      c.header("cache-control", "public, max-age=3600");
      return c.body(Bun.file(scalarStandaloneBundle()).stream());
    });
  }
  app.get(
    "/api/docs",
    Scalar((c) => ({
      url: "/api/openapi.json",
      pageTitle: "Roster API",
      cdn: "/api/docs/scalar.js",
      nonce: c.get("secureHeadersNonce"),
      // The default fonts come from fonts.scalar.com; the CSP allows this origin only.
      withDefaultFonts: false,
    })),
  );
}
