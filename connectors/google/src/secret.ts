import { createPrivateKey } from "node:crypto";
import { z } from "zod";

/**
 * The connection's one write-only secret holds everything secret about a Google connection:
 * the service account key, and the sign-in OAuth client's secret when Sign in with Google is
 * on. It is stored encrypted like any secret; the administrator pastes either the key file
 * as Google downloads it, or `{"serviceAccountKey": <key file>, "signInClientSecret": "GOCSPX-…"}`.
 * It is saved in the second form.
 */
const serviceAccountKey = z.looseObject({
  type: z.literal("service_account", "The key file's type must be service_account."),
  client_email: z.email("The key file has no client_email."),
  client_id: z.string().regex(/^\d+$/, "The key file has no numeric client_id."),
  private_key: z
    .string("The key file has no private_key.")
    .refine(isPrivateKey, "The key file's private_key is not a PEM private key."),
  private_key_id: z.string().optional(),
});

const envelope = z.object({
  serviceAccountKey,
  signInClientSecret: z.string().trim().min(1).max(200).optional(),
});

export type GoogleSecret = z.output<typeof envelope>;

function isPrivateKey(pem: string) {
  try {
    return createPrivateKey(pem).asymmetricKeyType === "rsa";
  } catch {
    return false;
  }
}

export const googleSecretSchema = z
  .string()
  .trim()
  .min(2, "Paste the service account's JSON key.")
  .max(20_000)
  .transform((text, ctx) => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      ctx.addIssue({
        code: "custom",
        message:
          "The service account key is not valid JSON: paste the whole .json file Google downloaded.",
      });
      return z.NEVER;
    }
    const wrapped =
      typeof json === "object" && json !== null && "serviceAccountKey" in json
        ? json
        : { serviceAccountKey: json };
    const parsed = envelope.safeParse(wrapped);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        ctx.addIssue({ code: "custom", message: issue.message });
      return z.NEVER;
    }
    return JSON.stringify(parsed.data);
  });

/** Reads a secret saved through `googleSecretSchema` (or a bare key file). */
export function readSecret(secret: string): GoogleSecret {
  const parsed = googleSecretSchema.safeParse(secret);
  if (!parsed.success) throw new Error(parsed.error.issues[0]?.message ?? "Invalid secret");
  return envelope.parse(JSON.parse(parsed.data));
}
