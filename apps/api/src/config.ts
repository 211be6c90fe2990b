import { passwordProblem } from "@roster/core";
import { z } from "zod";

const flag = z.enum(["on", "off"]).default("on");

/** Everything the service reads from its environment (the README's configuration table). */
const configSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    DATABASE_URL: z.string().default("file:./data/roster.db"),
    DATABASE_AUTH_TOKEN: z.string().optional(),
    ROSTER_SECRET_KEY: z.string().optional(),
    ROSTER_SECRET_KEY_FILE: z.string().default("./data/secret.key"),
    ROSTER_ADMIN_EMAIL: z.string().optional(),
    ROSTER_ADMIN_PASSWORD: z
      .string()
      .superRefine((value, ctx) => {
        const problem = passwordProblem(value);
        if (problem)
          ctx.addIssue({
            code: "custom",
            message: `the first administrator's password is too weak: ${problem}`,
          });
      })
      .optional(),
    ROSTER_OPERATOR_TOKEN: z
      .string()
      .min(16, "ROSTER_OPERATOR_TOKEN must be at least 16 characters")
      .optional(),
    AZURE_AUTHORITY_HOST: z.url().default("https://login.microsoftonline.com"),
    GRAPH_BASE_URL: z.url().default("https://graph.microsoft.com"),
    GOOGLE_TOKEN_URL: z.url().default("https://oauth2.googleapis.com/token"),
    GOOGLE_DIRECTORY_URL: z.url().default("https://admin.googleapis.com/"),
    GOOGLE_ISSUER_URL: z.url().default("https://accounts.google.com"),
    RESEND_API_KEY: z.string().optional(),
    RESEND_BASE_URL: z.url().optional(),
    MAIL_FROM: z.string().optional(),
    /** Requests per second the email dispatcher allows itself (Resend's default team limit is 2). */
    ROSTER_EMAIL_RATE: z.coerce.number().positive().max(1000).default(2),
    ROSTER_SCHEDULER: flag,
    ROSTER_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    ROSTER_PUBLIC_URL: z.url().optional(),
    /** Proxies (addresses, CIDR ranges) whose X-Forwarded-For names the client. */
    ROSTER_TRUSTED_PROXIES: z
      .string()
      .default("")
      .transform((value) =>
        value
          .split(",")
          .map((entry) => entry.trim())
          .filter(Boolean),
      ),
    ROSTER_MAX_CONNECTIONS_PER_TENANT: z.coerce.number().int().min(1).max(1000).default(20),
    /** A run whose process stops renewing its lease for this long is marked failed. */
    ROSTER_RUN_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
    /** Runs executing at once in this process; the rest wait in order (still `running`). */
    ROSTER_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).max(64).default(2),
  })
  .transform((config) => ({
    ...config,
    /** `ROSTER_PUBLIC_URL`, or this machine's port: the CSRF origin and whether cookies are Secure. */
    publicUrl: (config.ROSTER_PUBLIC_URL ?? `http://localhost:${config.PORT}`).replace(/\/$/, ""),
  }));

export type Config = z.output<typeof configSchema>;

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = configSchema.safeParse(
    Object.fromEntries(
      Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
    ),
  );
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join(".")}: ${issue.message}`,
    );
    throw new Error(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const publicUrl = (
    parsed.data.ROSTER_PUBLIC_URL ?? `http://localhost:${parsed.data.PORT}`
  ).replace(/\/+$/, "");
  return { ...parsed.data, publicUrl };
}
