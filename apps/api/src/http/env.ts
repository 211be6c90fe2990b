import type { CoreDeps, DirectorySignIn, Logger } from "@roster/core";
import type { SecureHeadersVariables } from "hono/secure-headers";

/** The signed-in caller, resolved from a bearer token or the session cookie. */
export type Session = {
  tenantId: string;
  userId: string;
  sessionId: string;
  permissions: string[];
  /** Cookie sessions need a same-origin check on unsafe methods (CSRF). */
  viaCookie: boolean;
};

export type AppEnv = {
  Variables: SecureHeadersVariables & {
    deps: CoreDeps;
    log: Logger;
    requestId: string;
    /** Origin of `ROSTER_PUBLIC_URL`: the CSRF check's expected Origin. */
    publicOrigin: string;
    session: Session;
    /** Sign in through the directory, with its discovery cache (one per app). */
    signIn: DirectorySignIn;
  };
};
