import { type ConnectErrorCode, ConnectorError, type ReadErrorCode } from "@roster/connector-kit";
import { DIRECTORY_SCOPES } from "./client.ts";

export type Failure = { code: ReadErrorCode; message: string; details?: Record<string, unknown> };

type GaxiosLike = {
  status?: number;
  code?: string | number;
  message?: string;
  response?: { status?: number; data?: unknown };
};

const isGaxios = (error: unknown): error is GaxiosLike =>
  typeof error === "object" && error !== null && "config" in error && "message" in error;

/** `{ error, error_description }` from the token endpoint (RFC 6749 §5.2). */
const oauthBody = (error: GaxiosLike) => {
  const data = error.response?.data as { error?: unknown; error_description?: unknown } | undefined;
  return typeof data?.error === "string"
    ? { error: data.error, description: String(data.error_description ?? "") }
    : undefined;
};

/** `reason` of Google's API error envelope; gaxios 7 leaves `errors` unset, so read the body. */
export const reasonOf = (error: unknown): string | undefined => {
  if (!isGaxios(error)) return undefined;
  const data = error.response?.data as { error?: { errors?: { reason?: string }[] } } | undefined;
  return typeof data?.error === "object" ? data.error?.errors?.[0]?.reason : undefined;
};

/**
 * The HTTP status and message behind a ConnectorError made from a gaxios error. Kept aside
 * rather than as `cause`: a gaxios error carries the request, bearer token included.
 */
const behind = new WeakMap<ConnectorError, { status?: number; message: string }>();

export const statusOf = (error: unknown): number | undefined =>
  error instanceof ConnectorError
    ? behind.get(error)?.status
    : isGaxios(error)
      ? (error.response?.status ?? error.status)
      : undefined;

/** Rate limits: 403 userRateLimitExceeded / rateLimitExceeded / quotaExceeded, or a 429. */
export const isRateLimited = (error: unknown) => {
  const status = statusOf(error);
  const reason = reasonOf(error) ?? "";
  return (
    status === 429 ||
    (status === 403 &&
      ["userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"].includes(reason))
  );
};

export const isNotFound = (error: unknown) => statusOf(error) === 404;

/** users.list refuses an org unit path that does not exist with 400 `Invalid Input: INVALID_OU_ID`. */
export const isUnknownOrgUnit = (error: unknown) =>
  statusOf(error) === 400 && /INVALID_OU_ID|orgUnitPath/i.test(messageOf(error));

const messageOf = (error: unknown) =>
  error instanceof ConnectorError
    ? (behind.get(error)?.message ?? error.message)
    : error instanceof Error
      ? error.message
      : String(error);

export const scopeDetails = (clientId: string) => ({ clientId, scopes: [...DIRECTORY_SCOPES] });

/**
 * Turns what google-auth-library and gaxios throw into a code an administrator can act on.
 * Token errors (developers.google.com/identity/protocols/oauth2/service-account, "Handling
 * errors"): `invalid_grant` "Invalid email or User ID" is an unknown subject, other
 * `invalid_grant`s a key Google does not accept; 401 `unauthorized_client` means
 * delegation or a scope was not granted. API errors: 403 `forbidden` for a subject that is
 * not an administrator, 403 `insufficientPermissions` for missing scopes.
 */
export function classify(
  error: unknown,
  context: { adminEmail: string; clientId: string },
): Failure {
  if (error instanceof ConnectorError) return error;
  const message = messageOf(error);
  if (!isGaxios(error)) {
    // google-auth-library signs the assertion locally: a key it cannot use fails here.
    if (/key|PEM|DECODER|asn1|sign/i.test(message)) {
      return {
        code: "invalid_secret",
        message: `The service account's private key could not sign: ${firstLine(message)}`,
      };
    }
    return {
      code: "directory_unreachable",
      message: `Google could not be reached: ${firstLine(message)}`,
    };
  }
  const oauth = oauthBody(error);
  if (oauth) {
    if (oauth.error === "invalid_grant" && /Invalid email or User ID/i.test(oauth.description)) {
      return {
        code: "admin_not_found",
        message: `Google Workspace has no user ${context.adminEmail} to impersonate. Enter the email of an administrator of this Workspace.`,
        details: { adminEmail: context.adminEmail },
      };
    }
    if (oauth.error === "unauthorized_client" || oauth.error === "invalid_scope") {
      return {
        code: "missing_permission",
        message: `Domain-wide delegation is not granted to this service account for every scope. In the Admin console (Security → Access and data control → API controls → Manage domain-wide delegation), add client ID ${context.clientId} with the scopes ${DIRECTORY_SCOPES.join(",")}.`,
        details: scopeDetails(context.clientId),
      };
    }
    if (oauth.error === "invalid_grant" || oauth.error === "invalid_client") {
      return {
        code: "invalid_secret",
        message: `Google refused the service account key (${oauth.description || oauth.error}). Create a new JSON key for the service account and save it here.`,
      };
    }
    return {
      code: "directory_unreachable",
      message: `Google's token endpoint answered ${statusOf(error)} ${oauth.error}: ${oauth.description}`,
    };
  }
  const status = statusOf(error);
  const reason = reasonOf(error);
  if (status === undefined) {
    return {
      code: "directory_unreachable",
      message: `Google could not be reached: ${firstLine(message)}`,
    };
  }
  if (isRateLimited(error)) {
    return {
      code: "throttled",
      message:
        "Google kept answering with rate limits (403 userRateLimitExceeded / quotaExceeded); the read stopped before every page was read.",
    };
  }
  if (status === 403 && reason === "insufficientPermissions") {
    return {
      code: "missing_permission",
      message: `The access token lacks a Directory API scope. Grant client ID ${context.clientId} the scopes ${DIRECTORY_SCOPES.join(",")}.`,
      details: scopeDetails(context.clientId),
    };
  }
  if (status === 403) {
    return {
      code: "missing_permission",
      message: `Google refused access as ${context.adminEmail}: it must be an administrator of this Workspace with the privilege to read users and groups (a super administrator works), and the customer id must be this Workspace's.`,
      details: { adminEmail: context.adminEmail },
    };
  }
  if (status === 401) {
    return {
      code: "directory_unreachable",
      message:
        "The Directory API rejected the access token. Check the Directory API address the service is configured with.",
    };
  }
  return {
    code: "read_failed",
    message: `The Directory API answered ${status}: ${firstLine(message)}`,
  };
}

const firstLine = (text: string) => text.split(/\r?\n/)[0]?.slice(0, 300) ?? "";

export const toConnectorError = (
  error: unknown,
  context: { adminEmail: string; clientId: string },
) => {
  if (error instanceof ConnectorError) return error;
  const failure = classify(error, context);
  const wrapped = new ConnectorError(failure.code, failure.message, failure.details);
  behind.set(wrapped, { status: statusOf(error), message: messageOf(error) });
  return wrapped;
};

export const asConnectCode = (code: ReadErrorCode, known: readonly string[]): ConnectErrorCode =>
  (known.includes(code) ? code : "directory_unreachable") as ConnectErrorCode;
