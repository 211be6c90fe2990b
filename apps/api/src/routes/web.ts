import type { OpenAPIHono } from "@hono/zod-openapi";
import { indexHtml, webAssets } from "@roster/web";
import type { AppEnv } from "../http/env.ts";

/**
 * The admin UI: one page and its two bundled assets. The Bun server bundles them in memory
 * at first request (no build step in development); a Workers deploy serves the files
 * `bun run build:web` wrote as static assets, and this app answers only the page.
 */
export function webRoutes(app: OpenAPIHono<AppEnv>, options: { serveAssets: boolean }) {
  app.get("/", (c) => c.html(indexHtml));
  if (!options.serveAssets) return;
  app.get("/assets/app.js", async (c) => {
    c.header("content-type", "text/javascript; charset=utf-8");
    c.header("cache-control", "no-cache");
    return c.body((await webAssets()).js);
  });
  app.get("/assets/app.css", async (c) => {
    c.header("content-type", "text/css; charset=utf-8");
    c.header("cache-control", "no-cache");
    return c.body((await webAssets()).css);
  });
}
