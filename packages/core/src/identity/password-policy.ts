import { dictionary } from "@zxcvbn-ts/language-common";
import { DomainError } from "../errors.ts";

export const MIN_PASSWORD_LENGTH = 12;

let common: Set<string> | null = null;

/**
 * The 49,233 most common passwords, ranked from leaked-password corpora, as shipped by
 * zxcvbn-ts (`@zxcvbn-ts/language-common`, "passwords-common"), loaded on first use.
 */
const commonPasswords = () => {
  common ??= new Set(dictionary["passwords-common"]);
  return common;
};

/**
 * What is wrong with a new password, or null. NIST SP 800-63B §3.1.1.2 is the model: a
 * minimum length, no composition rules, but refuse values from lists of common passwords
 * and repetitive ones (`aaaaaaaaaaaa`, ten spaces).
 */
export function passwordProblem(password: string): string | null {
  const trimmed = password.trim();
  if ([...trimmed].length < MIN_PASSWORD_LENGTH) {
    return `Use at least ${MIN_PASSWORD_LENGTH} characters (spaces at either end do not count).`;
  }
  if (new Set(trimmed.toLowerCase()).size < 4) {
    return "Use more than a few different characters.";
  }
  if (commonPasswords().has(trimmed.toLowerCase())) {
    return "This password is on a list of common passwords; choose another.";
  }
  return null;
}

/** Throws `validation_failed` at `path` when the password breaks the policy. */
export function requireGoodPassword(password: string, path: string[]): void {
  const problem = passwordProblem(password);
  if (problem) throw new DomainError("validation_failed", problem, [{ path, message: problem }]);
}
