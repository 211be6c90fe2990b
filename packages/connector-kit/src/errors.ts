/** The API contract's connect error codes (422 `error.code`). */
export const CONNECT_ERROR_CODES = [
  "invalid_secret",
  "secret_expired",
  "unknown_application",
  "unknown_directory",
  "missing_permission",
  "admin_not_found",
  "group_not_found",
  "directory_unreachable",
  "connector_unavailable",
] as const;

export type ConnectErrorCode = (typeof CONNECT_ERROR_CODES)[number];

/** Codes a failed read may carry, beyond the connect codes. */
export type ReadErrorCode =
  | ConnectErrorCode
  | "throttled"
  | "read_failed"
  | "aborted"
  /** A change cursor the directory no longer honours (see `ResyncRequiredError`). */
  | "resync_required";

/** Thrown by `readUsers` / `readGroups`: the read ended incomplete, for this reason. */
export class ConnectorError extends Error {
  readonly code: ReadErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ReadErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "ConnectorError";
    this.code = code;
    this.details = details;
  }
}
