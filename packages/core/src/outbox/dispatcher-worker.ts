/**
 * The dispatcher thread (dispatcher-thread.ts): opens its own database connection, keyring
 * and Resend transport from the setup it is given, runs the same dispatcher as a process
 * would, and sends its log lines back to the process's logger.
 */
import { createDb } from "@roster/db";
import { createEmailTransport } from "@roster/email";
import { systemClock } from "../clock.ts";
import type { CoreDeps } from "../context.ts";
import { errorMessage, type LogFields, type Logger } from "../logger.ts";
import { createKeyring } from "../secrets.ts";
import { type EmailDispatcher, startEmailDispatcher } from "./dispatcher.ts";
import type { FromThread, ToThread } from "./dispatcher-thread.ts";

declare const self: Worker;

const reply = (message: FromThread) => self.postMessage(message);

function threadLogger(base: LogFields = {}): Logger {
  const at =
    (level: "debug" | "info" | "warn" | "error") => (message: string, fields?: LogFields) =>
      reply({ kind: "log", level, message, fields: { ...base, ...fields } });
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => threadLogger({ ...base, ...fields }),
  };
}

let starting: Promise<{ dispatcher: EmailDispatcher; close(): void } | null> | null = null;

self.onmessage = async (event: MessageEvent<ToThread>) => {
  const message = event.data;
  if (message.kind === "start") {
    const { setup } = message;
    const log = threadLogger();
    starting = createDb(setup.database).then(
      (db) => {
        const deps = {
          db,
          clock: systemClock,
          log,
          keyring: createKeyring(setup.secretKey),
          email: createEmailTransport(setup.email),
          instanceId: setup.instanceId,
          leaseMs: setup.leaseMs,
        } satisfies Partial<CoreDeps> as CoreDeps;
        return { dispatcher: startEmailDispatcher(deps, setup.options), close: () => db.close() };
      },
      (error: unknown) => {
        log.error("email dispatcher could not open the database", {
          error: errorMessage(error),
        });
        return null;
      },
    );
    return;
  }
  const running = await starting;
  if (message.kind === "wake") running?.dispatcher.wake();
  else {
    await running?.dispatcher.stop();
    running?.close();
    reply({ kind: "stopped" });
  }
};
