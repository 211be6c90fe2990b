import {
  type ConnectErrorCode,
  ConnectorError,
  type ReadErrorCode,
  ResyncRequiredError,
} from "@roster/connector-kit";

type Failure = { code: ReadErrorCode; message: string; details?: Record<string, unknown> };

/** The AADSTS codes Entra's token endpoint answers with, and what each means to an admin. */
const AADSTS: Record<string, { code: ConnectErrorCode; message: string }> = {
  "7000215": {
    code: "invalid_secret",
    message:
      "Entra ID refused the application secret. Paste the secret's Value (not its Secret ID) from Certificates & secrets.",
  },
  "7000222": {
    code: "secret_expired",
    message:
      "The application secret has expired. Create a new client secret in Entra ID and save it here.",
  },
  "700016": {
    code: "unknown_application",
    message:
      "No application with this Application (client) ID exists in the directory. Check the ID and the Directory (tenant) ID.",
  },
  "90002": {
    code: "unknown_directory",
    message:
      "No Entra ID directory has this Directory (tenant) ID. Check it on the app registration's Overview page.",
  },
};

type GraphErrorLike = {
  statusCode?: number;
  code?: string | null;
  message?: string;
  headers?: Headers;
};

const isGraphError = (error: unknown): error is GraphErrorLike =>
  typeof error === "object" && error !== null && "statusCode" in error;

/**
 * Turns what `@azure/identity` and `@microsoft/microsoft-graph-client` throw into a code an
 * administrator can act on. Credential errors arrive wrapped in a GraphError with
 * statusCode -1 whose message carries the AADSTS code.
 */
export function classify(error: unknown, permission: string): Failure {
  if (error instanceof ConnectorError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = isGraphError(error) ? (error.statusCode ?? -1) : -1;
  const aadsts = /AADSTS(\d+)|Error\(s\): (\d+)/.exec(message);
  const known = aadsts ? AADSTS[aadsts[1] ?? aadsts[2] ?? ""] : undefined;
  if (known) return known;
  if (message.includes("endpoints_resolution_error")) {
    return { code: "unknown_directory", message: AADSTS["90002"]?.message ?? message };
  }
  if (status === 403) {
    return {
      code: "missing_permission",
      message: `The application lacks the ${permission} application permission, or admin consent was not granted for it.`,
      details: { permission },
    };
  }
  if (status === 429) {
    const retryAfter = isGraphError(error) ? error.headers?.get?.("retry-after") : null;
    return {
      code: "throttled",
      message:
        "Microsoft Graph kept throttling the requests; the read stopped before every page was read.",
      details: retryAfter ? { retryAfterSeconds: Number(retryAfter) } : undefined,
    };
  }
  if (status === 401) {
    return {
      code: "directory_unreachable",
      message:
        "Microsoft Graph rejected the access token. Check the Graph address the service is configured with.",
    };
  }
  if (status === -1) {
    return {
      code: "directory_unreachable",
      message: `Entra ID could not be reached: ${firstLine(message)}`,
    };
  }
  return {
    code: "read_failed",
    message: `Microsoft Graph answered ${status}: ${firstLine(message)}`,
  };
}

const firstLine = (text: string) => text.split(/\r?\n/)[0]?.slice(0, 300) ?? "";

export const toConnectorError = (error: unknown, permission: string) => {
  const failure = classify(error, permission);
  return error instanceof ConnectorError
    ? error
    : new ConnectorError(failure.code, failure.message, failure.details);
};

/** Transient failures worth another try: server errors and broken connections. */
export const isTransient = (error: unknown) => {
  if (!isGraphError(error)) return false;
  const status = error.statusCode ?? -1;
  if (status === -1)
    return !/AADSTS|endpoints_resolution_error|Credential/.test(error.message ?? "");
  return status >= 500;
};

export const isNotFound = (error: unknown) => isGraphError(error) && error.statusCode === 404;

/**
 * A delta link Graph no longer honours (learn.microsoft.com/graph/delta-query-overview, "Token
 * duration" and "Synchronization reset"; learn.microsoft.com/graph/errors): 400
 * `syncStateNotFound` when it expired, 410 Gone (`resyncRequired`) after a reset,
 * `syncStateInvalid` for a token it cannot use. The answer is always a full resync.
 */
export function resyncOf(error: unknown): ResyncRequiredError | null {
  if (!isGraphError(error)) return null;
  const status = error.statusCode ?? -1;
  const code = error.code ?? "";
  const details = { status, graphCode: code };
  if (status === 410 || code === "resyncRequired") {
    return new ResyncRequiredError(
      "directory_reset",
      "Microsoft Graph reset change tracking for this directory; every user is read again.",
      details,
    );
  }
  if (status === 400 && code === "syncStateNotFound") {
    return new ResyncRequiredError(
      "cursor_expired",
      "The Microsoft Graph delta token expired (they last 7 days); every user is read again.",
      details,
    );
  }
  if (status === 400 && code === "syncStateInvalid") {
    return new ResyncRequiredError(
      "cursor_invalid",
      "Microsoft Graph refused the delta token as invalid; every user is read again.",
      details,
    );
  }
  return null;
}
