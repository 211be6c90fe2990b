import { NONCE, secureHeaders } from "hono/secure-headers";

/**
 * Hono's secure headers with a Content-Security-Policy on every response. Scripts only from
 * this origin, or inline with the per-response nonce (the API reference's start-up script);
 * styles may be inline because the API reference injects its own at run time, and a nonce
 * would make browsers ignore `'unsafe-inline'`. Nothing is loaded from another origin.
 */
export const contentSecurityPolicy = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'", NONCE],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", "data:", "blob:"],
      fontSrc: ["'self'", "data:"],
      connectSrc: ["'self'"],
      workerSrc: ["'self'", "blob:"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  });
