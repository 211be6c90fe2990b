import { Resend } from "resend";

/** One email, ready to send. */
export type EmailMessage = {
  to: string;
  subject: string;
  text: string;
  html: string;
};

export type SendResult = { ok: true; providerId: string | null } | { ok: false; error: string };

/**
 * Where email goes. `resend` delivers through Resend's API; `outbox` keeps every message
 * in the local outbox (the database row *is* the delivery), for operators without a key.
 */
export type EmailTransport = {
  kind: "resend" | "outbox";
  /** Never throws: a failed delivery comes back as `{ ok: false }` for the caller to record. */
  send(message: EmailMessage, idempotencyKey: string): Promise<SendResult>;
};

export type EmailConfig = {
  resendApiKey?: string;
  /** Resend's API address; tests point it at a local fake. */
  resendBaseUrl?: string;
  from?: string;
};

export const DEFAULT_FROM = "Roster <roster@localhost>";

export function createEmailTransport(config: EmailConfig): EmailTransport {
  const apiKey = config.resendApiKey?.trim();
  if (!apiKey) return { kind: "outbox", send: async () => ({ ok: true, providerId: null }) };
  const resend = new Resend(apiKey, config.resendBaseUrl ? { baseUrl: config.resendBaseUrl } : {});
  const from = config.from ?? DEFAULT_FROM;
  return {
    kind: "resend",
    async send(message, idempotencyKey) {
      try {
        const { data, error } = await resend.emails.send({ from, ...message }, { idempotencyKey });
        if (error) return { ok: false, error: `${error.name}: ${error.message}` };
        return { ok: true, providerId: data?.id ?? null };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
