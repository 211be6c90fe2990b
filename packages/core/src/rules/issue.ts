import type { DirectoryUser } from "@roster/connector-kit";

/** Why a user failed, or what a warning is about (spec §4.8). */
export type IssueCode =
  | "no_email"
  | "missing_names"
  | "duplicate_email"
  | "email_taken"
  | "database_error"
  | "alias_taken"
  | "invalid_email"
  | "pin_email_failed"
  | "last_administrator_kept"
  | "needs_confirmation"
  /** A pending deletion of a needs_review run: the directory no longer returns the user. */
  | "not_in_directory";

/** A user that failed, or a warning, as a run records it. */
export type Issue = {
  externalId: string | null;
  /** The application user an issue to review is about (what an administrator confirms). */
  userId?: string | null;
  email: string | null;
  displayName: string | null;
  code: IssueCode;
  message: string;
};

export const issueOf = (user: DirectoryUser, code: IssueCode, message: string): Issue => ({
  externalId: user.externalId,
  email: user.email,
  displayName: user.displayName,
  code,
  message,
});
