import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/env.ts";
import { jsonResponse } from "../http/schemas.ts";

const Health = z.object({ status: z.enum(["ok", "unavailable"]) }).openapi("Health");

export function healthRoutes(app: OpenAPIHono<AppEnv>) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/health",
      tags: ["Operator"],
      summary: "Liveness and database reachability",
      responses: {
        200: jsonResponse(Health, "Healthy"),
        503: jsonResponse(Health, "The database is unreachable"),
      },
    }),
    async (c) => {
      try {
        await c.get("deps").db.client.execute("select 1");
        return c.json({ status: "ok" as const }, 200);
      } catch {
        return c.json({ status: "unavailable" as const }, 503);
      }
    },
  );
}
