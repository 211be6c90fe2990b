import type { Keyring } from "../secrets.ts";

/** What `outbox_bodies` holds, encrypted: a welcome email's body carries a PIN. */
export type EmailBody = { text: string; html: string };

export const sealBody = (keyring: Keyring, body: EmailBody): string =>
  keyring.encrypt(JSON.stringify({ text: body.text, html: body.html }));

export const openBody = (keyring: Keyring, ciphertext: string): EmailBody =>
  JSON.parse(keyring.decrypt(ciphertext)) as EmailBody;
