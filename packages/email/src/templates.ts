import { htmlLayout } from "./render.ts";
import type { EmailMessage } from "./transport.ts";

const message = (to: string, subject: string, paragraphs: string[]): EmailMessage => ({
  to,
  subject,
  text: paragraphs.join("\n\n"),
  html: htmlLayout(paragraphs),
});

/** The welcome email of a created or restored user: the only place a PIN leaves Roster. */
export const welcomeEmail = (input: {
  to: string;
  firstName: string;
  appName: string;
  tenantName: string;
  pin: string;
  restored: boolean;
}): EmailMessage =>
  message(input.to, `Your ${input.appName} PIN`, [
    `Hello ${input.firstName},`,
    input.restored
      ? `Your ${input.appName} account at ${input.tenantName} has been registered again.`
      : `An ${input.appName} account has been created for you at ${input.tenantName}.`,
    `Your PIN is ${input.pin}. Use it to identify yourself at a device; keep it to yourself.`,
    "You sign in to the application with your organization's account.",
  ]);

/** Warns administrators that a connection's application secret is about to expire. */
export const secretExpiryEmail = (input: {
  to: string;
  appName: string;
  connectionName: string;
  expiresAt: Date;
  expired: boolean;
}): EmailMessage => {
  const day = input.expiresAt.toISOString().slice(0, 10);
  return message(
    input.to,
    input.expired
      ? `User sync stopped: the secret of "${input.connectionName}" has expired`
      : `The secret of "${input.connectionName}" expires on ${day}`,
    [
      input.expired
        ? `The application secret of the user-sync connection "${input.connectionName}" expired on ${day}. Synchronization fails until a new secret is saved.`
        : `The application secret of the user-sync connection "${input.connectionName}" expires on ${day}.`,
      "Create a new client secret for the app registration, then save it on the connection in the admin area.",
    ],
  );
};
