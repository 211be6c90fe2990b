import type { OpenAPIHono } from "@hono/zod-openapi";
import { indexHtml, webAssets } from "@roster/web";
import type { AppEnv } from "../http/env.ts";

/** The admin UI: one page and its two bundled assets, built in memory at first request. */
export function webRoutes(app: OpenAPIHono<AppEnv>) {
  app.get("/", (c) => c.html(indexHtml));
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
