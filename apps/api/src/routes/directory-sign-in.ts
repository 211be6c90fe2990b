import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { DomainError, SIGN_IN_ERROR_CODES } from "@roster/core";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { SESSION_COOKIE } from "../http/auth.ts";
import type { AppEnv } from "../http/env.ts";
import { errors, jsonResponse } from "../http/schemas.ts";

/** Binds the browser to its sign-in in flight; scoped to the callback's path. */
export const SIGN_IN_COOKIE = "roster_sign_in";
const SIGN_IN_COOKIE_PATH = "/api/auth/sso";

const tags = ["Session"];
const Provider = z.object({
  provider: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,30}$/)
    .meta({ example: "microsoft" }),
});

export const SignInProviderSchema = z
  .object({
    provider: z.string().meta({ example: "microsoft" }),
    connectionId: z.string(),
    label: z.string().meta({ example: "Sign in with Microsoft" }),
  })
  .openapi("SignInProvider");

const BASE = "http://roster.invalid";

/**
 * A same-origin path, normalized the way a browser will read it (the URL parser drops tabs
 * and newlines and reads `\\` as `/`), and refused if it could leave the site: `//host`,
 * `/\\host`, `/.//host`, `https://…`. No open redirect.
 */
const ReturnTo = z
  .string()
  .max(2000)
  .transform((value, ctx) => {
    const url = value.startsWith("/") ? new URL(value, BASE) : null;
    const path = url ? `${url.pathname}${url.search}${url.hash}` : "";
    if (!url || url.origin !== BASE || path.startsWith("//")) {
      ctx.addIssue({
        code: "custom",
        message: "returnTo must be a path on this site, like /#/users.",
      });
      return z.NEVER;
    }
    return path;
  });

const StartQuery = z.object({
  tenant: z.string().trim().min(1).max(63).meta({ description: "The tenant's slug" }),
  connection: z.string().min(1).max(64).optional().meta({
    description: "The connection to sign in through; optional when the tenant has one",
  }),
  email: z.string().trim().max(320).optional().meta({ description: "Passed on as login_hint" }),
  returnTo: ReturnTo.optional().meta({ description: "Where to land after signing in (a path)" }),
});

const redirect = (description: string) => ({
  description,
  headers: z.object({ location: z.string() }),
});

/**
 * Sign in through the directory (spec §4.10), the same routes for every provider: the
 * connector's `signInProvider` says which OIDC client and which user; core runs the flow.
 */
export function directorySignInRoutes(app: OpenAPIHono<AppEnv>, options: { publicUrl: string }) {
  const secure = new URL(options.publicUrl).protocol === "https:";

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/auth/providers",
      tags,
      summary: "The directory sign-in buttons of a tenant (public)",
      request: { query: z.object({ tenant: z.string().trim().min(1).max(63) }) },
      responses: {
        200: jsonResponse(z.object({ items: z.array(SignInProviderSchema) }), "Providers"),
        400: errors[400],
      },
    }),
    async (c) => {
      const items = await c.get("signIn").providers(c.get("deps"), c.req.valid("query").tenant);
      return c.json({ items }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/auth/sso/{provider}/start",
      tags,
      summary: "Start signing in through the directory",
      description:
        "Redirects to the directory's authorize endpoint (authorization code flow with PKCE, state and nonce) and sets a short-lived HttpOnly cookie for the callback. Looks up no user. If the directory cannot be reached, redirects to /?signInError=sso_unavailable.",
      request: { params: Provider, query: StartQuery },
      responses: {
        302: redirect("To the directory's sign-in, or to /?signInError=sso_unavailable"),
        400: errors[400],
        404: errors[404],
      },
    }),
    async (c) => {
      const { provider } = c.req.valid("param");
      const query = c.req.valid("query");
      const started = await c.get("signIn").start(c.get("deps"), {
        tenant: query.tenant,
        provider,
        connectionId: query.connection,
        loginHint: query.email,
        returnTo: query.returnTo ?? "/",
      });
      if (!started.ok) return c.redirect(`/?signInError=${started.code}`, 302);
      setCookie(c, SIGN_IN_COOKIE, started.cookie, {
        httpOnly: true,
        // Lax: the callback is a top-level cross-site GET from the directory.
        sameSite: "Lax",
        secure,
        path: SIGN_IN_COOKIE_PATH,
        expires: started.expiresAt,
      });
      c.header("cache-control", "no-store");
      return c.redirect(started.url, 302);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/api/auth/sso/{provider}/callback",
      tags,
      summary: "The directory's redirect back (the redirect URI)",
      description: `On success sets the session cookie and redirects to returnTo; on any failure redirects to /?signInError=<code>, one of ${SIGN_IN_ERROR_CODES.join(", ")}, with no session.`,
      request: { params: Provider },
      responses: {
        302: redirect("To returnTo, or to /?signInError=<code>"),
        400: errors[400],
      },
    }),
    async (c) => {
      const { provider } = c.req.valid("param");
      // openid-client rebuilds the token request's redirect_uri from this URL: it must be
      // the public one, not the address this process listens on (fidelity note, trap 5).
      const callbackUrl = new URL(
        `${options.publicUrl}/api/auth/sso/${provider}/callback${new URL(c.req.url).search}`,
      );
      const result = await c.get("signIn").complete(c.get("deps"), {
        provider,
        cookie: getCookie(c, SIGN_IN_COOKIE),
        callbackUrl,
      });
      deleteCookie(c, SIGN_IN_COOKIE, { path: SIGN_IN_COOKIE_PATH, secure });
      c.header("cache-control", "no-store");
      if (!result.ok) return c.redirect(`/?signInError=${result.code}`, 302);
      setCookie(c, SESSION_COOKIE, result.session.token, {
        httpOnly: true,
        sameSite: "Lax",
        secure,
        path: "/",
        expires: new Date(result.session.expiresAt),
      });
      return c.redirect(result.returnTo, 302);
    },
  );
}

/** The start URL for a user told to sign in through their directory (`sso_required`). */
export function withStartUrl(
  error: DomainError,
  publicUrl: string,
  input: { tenant: string; email: string },
): DomainError {
  const details = (error.details ?? {}) as { provider?: string; connectionId?: string | null };
  if (!details.provider || !details.connectionId) return error;
  const query = new URLSearchParams({
    tenant: input.tenant.trim().toLowerCase(),
    connection: details.connectionId,
    email: input.email.trim(),
  });
  return new DomainError(error.code, error.message, {
    ...details,
    startUrl: `${publicUrl}/api/auth/sso/${details.provider}/start?${query}`,
  });
}
