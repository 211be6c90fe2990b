export type LogFields = Record<string, unknown>;

export type Logger = {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
};

type Level = "debug" | "info" | "warn" | "error";
const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

// Words that mark a field whose value never reaches a log line, whatever a caller passes.
const SECRET_WORDS = new Set([
  "secret",
  "secrets",
  "password",
  "passwd",
  "pin",
  "pins",
  "token",
  "tokens",
  "authorization",
  "cookie",
  "ciphertext",
  "apikey",
]);

/** `clientSecret`, `access_token`, `pinHash`, `apiKey` are secret; `mapping` or `spinner` are not. */
function isSecretField(key: string): boolean {
  const words = key.split(/[^a-zA-Z0-9]+|(?=[A-Z])/).map((word) => word.toLowerCase());
  return words.some(
    (word, i) => SECRET_WORDS.has(word) || SECRET_WORDS.has(word + (words[i + 1] ?? "")),
  );
}

// Drizzle's failed-query message is "Failed query: <sql>\nparams: <every bound value>" (and
// the stack repeats it): bound values are emails, names, PIN hashes, ciphertexts. The
// statement is kept; everything from "params:" to the stack frames is cut.
const BOUND_PARAMETERS = /\nparams: [\s\S]*?(?=\n\s+at |$)/g;

/** A failed query's message without its bound parameters (other messages unchanged). */
export const withoutParameters = (text: string): string =>
  text.includes("\nparams: ") ? text.replace(BOUND_PARAMETERS, "") : text;

/** An error's message, safe to log or show: a failed query's parameters are left out. */
export const errorMessage = (error: unknown): string =>
  withoutParameters(error instanceof Error ? error.message : String(error));

/**
 * Replaces values of secret-looking keys with "[redacted]", recursively, and drops the bound
 * parameters of failed queries from any text.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return withoutParameters(value);
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: errorMessage(value) };
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      isSecretField(key) ? "[redacted]" : redact(item, depth + 1),
    ]),
  );
}

/** Structured JSON lines; secret-looking fields are redacted before writing. */
export function createLogger(
  options: { level?: Level; write?: (line: string) => void; base?: LogFields } = {},
): Logger {
  const threshold = LEVELS[options.level ?? "info"];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const base = options.base ?? {};
  const emit = (level: Level, message: string, fields?: LogFields) => {
    if (LEVELS[level] < threshold) return;
    const entry = { time: new Date().toISOString(), level, message, ...base, ...fields };
    write(JSON.stringify(redact(entry)));
  };
  return {
    debug: (message, fields) => emit("debug", message, fields),
    info: (message, fields) => emit("info", message, fields),
    warn: (message, fields) => emit("warn", message, fields),
    error: (message, fields) => emit("error", message, fields),
    child: (fields) => createLogger({ ...options, base: { ...base, ...fields } }),
  };
}

/** A logger that keeps its lines in memory: tests read them back. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level: "debug", write: (line) => lines.push(line) }), {
    lines,
  });
}
