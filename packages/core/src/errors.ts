import type { ConnectErrorCode } from "@roster/connector-kit";
/**
 * The API contract's error codes. Core throws `DomainError(code, …)`; the API maps
 * each code to its HTTP status in one table (apps/api/src/http/errors.ts).
 */
export const DOMAIN_ERROR_CODES = [
  "validation_failed",
  "unauthenticated",
  "invalid_credentials",
  "forbidden",
  "sso_required",
  "not_found",
  "conflict",
  "email_taken",
  "slug_taken",
  "sync_in_progress",
  "preview_in_progress",
  "connect_in_progress",
  "too_many_connections",
  "not_connected",
  "not_needs_review",
  "not_running",
  "last_administrator",
  "payload_too_large",
  "unsupported_media_type",
  "rate_limited",
  "connect_failed",
  "internal",
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number] | ConnectFailureCode;

/** Connect failures (422) carry the connector's own code (the kit's `CONNECT_ERROR_CODES`). */
export type ConnectFailureCode = ConnectErrorCode;

export class DomainError extends Error {
  readonly code: DomainErrorCode;
  readonly details?: unknown;

  constructor(code: DomainErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = "DomainError";
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what: string) => new DomainError("not_found", `${what} was not found.`);
