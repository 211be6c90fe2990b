/** True when the error (or its cause, as Drizzle wraps driver errors) is a UNIQUE violation. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") return true;
    if (/UNIQUE constraint failed/.test(e.message)) return true;
  }
  return false;
}
