import { z } from "zod";

const flag = z.enum(["on", "off"]).default("on");

/** Everything the service reads from its environment (the README's configuration table). */
const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().default("file:./data/roster.db"),
  DATABASE_AUTH_TOKEN: z.string().optional(),
  ROSTER_SECRET_KEY: z.string().optional(),
  ROSTER_SECRET_KEY_FILE: z.string().default("./data/secret.key"),
  ROSTER_ADMIN_EMAIL: z.string().optional(),
  ROSTER_ADMIN_PASSWORD: z.string().optional(),
  ROSTER_OPERATOR_TOKEN: z
    .string()
    .min(16, "ROSTER_OPERATOR_TOKEN must be at least 16 characters")
    .optional(),
  AZURE_AUTHORITY_HOST: z.url().default("https://login.microsoftonline.com"),
  GRAPH_BASE_URL: z.url().default("https://graph.microsoft.com"),
  RESEND_API_KEY: z.string().optional(),
  RESEND_BASE_URL: z.url().optional(),
  MAIL_FROM: z.string().optional(),
  /** Requests per second to Resend at most (Resend's default team limit is 2). */
  ROSTER_EMAIL_RATE: z.coerce.number().positive().max(1000).default(2),
  ROSTER_SCHEDULER: flag,
  ROSTER_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  ROSTER_PUBLIC_URL: z.url().optional(),
  /** A run whose process stops renewing its lease for this long is marked failed. */
  ROSTER_RUN_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
});

export type Config = z.infer<typeof configSchema>;

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
  return parsed.data;
}
