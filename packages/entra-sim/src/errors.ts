/**
 * Error bodies exactly as Entra's token endpoint and Microsoft Graph send them.
 * Sources: learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS),
 * learn.microsoft.com/graph/errors (Graph error envelope).
 */

/** `2024-05-01 12:00:00Z`: the token endpoint's timestamp format (space, no `T`). */
const aadTimestamp = (now: Date) => `${now.toISOString().slice(0, 19).replace("T", " ")}Z`;

export function aadError(
  status: number,
  error: string,
  code: number,
  description: string,
): Response {
  const now = new Date();
  const traceId = crypto.randomUUID();
  const correlationId = crypto.randomUUID();
  const timestamp = aadTimestamp(now);
  return Response.json(
    {
      error,
      error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
    { status, headers: { "content-type": "application/json; charset=utf-8" } },
  );
}

export const unknownTenant = (tenant: string) =>
  aadError(
    400,
    "invalid_tenant",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );

/** Graph's `{error:{code,message,innerError}}`; `innerError.date` has no zone suffix. */
export function graphError(
  status: number,
  code: string,
  message: string,
  request: { requestId: string; clientRequestId: string | null },
  headers: Record<string, string> = {},
): Response {
  return Response.json(
    {
      error: {
        code,
        message,
        innerError: {
          date: new Date().toISOString().slice(0, 19),
          "request-id": request.requestId,
          "client-request-id": request.clientRequestId ?? request.requestId,
        },
      },
    },
    { status, headers: { "content-type": "application/json", ...headers } },
  );
}

/** Thrown inside Graph handlers; the router turns it into `graphError`. */
export class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const notFoundResource = (id: string) =>
  new GraphFailure(
    404,
    "Request_ResourceNotFound",
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const insufficientPrivileges = () =>
  new GraphFailure(
    403,
    "Authorization_RequestDenied",
    "Insufficient privileges to complete the operation.",
  );
