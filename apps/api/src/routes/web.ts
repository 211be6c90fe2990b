import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../http/env.ts";

/** The admin UI is served from `/`; until it is built, a pointer to the API. */
export function webRoutes(app: OpenAPIHono<AppEnv>) {
  app.get("/", (c) =>
    c.html(
      '<!doctype html><meta charset="utf-8"><title>Roster</title><h1>Roster</h1><p>The API is at <a href="/api/docs">/api/docs</a>.</p>',
    ),
  );
}
