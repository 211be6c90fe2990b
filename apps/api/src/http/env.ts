import type { CoreDeps, DirectorySignIn, Logger } from "@roster/core";

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
  Variables: {
    deps: CoreDeps;
    log: Logger;
    requestId: string;
    session: Session;
    /** Sign in through the directory, with its discovery cache (one per app). */
    signIn: DirectorySignIn;
  };
};
