import type { EmailConfig } from "@roster/email";
import type { LogFields, Logger } from "../logger.ts";
import type { SecretKey } from "../secrets.ts";
import type { EmailDispatcher, EmailDispatcherOptions } from "./dispatcher.ts";

/** What the dispatcher's thread opens on its own: everything it needs, nothing it shares. */
export type DispatcherThreadSetup = {
  database: { url: string; authToken?: string };
  secretKey: SecretKey;
  email: EmailConfig;
  instanceId?: string;
  leaseMs?: number;
  options?: EmailDispatcherOptions;
};

export type ToThread = { kind: "start"; setup: DispatcherThreadSetup } | { kind: "wake" | "stop" };
export type FromThread =
  | { kind: "log"; level: "debug" | "info" | "warn" | "error"; message: string; fields?: LogFields }
  | { kind: "stopped" };

/**
 * The outbox dispatcher on a thread of its own, with its own database connection. On the
 * main thread it shared the event loop with the syncs: a 100k-user sync with welcome emails
 * keeps that loop busy for 0.1–1 s at a time (deciding, rendering, encrypting), and delivery
 * at a 50 requests/s limit fell to ~25 requests/s for as long as the sync ran (measured).
 * Its log lines come back to `log`, the process's logger.
 */
export function startEmailDispatcherThread(
  setup: DispatcherThreadSetup,
  log: Logger,
): EmailDispatcher {
  const worker = new Worker(new URL("./dispatcher-worker.ts", import.meta.url).href);
  // The thread's end: it answered a stop, or it failed (then a stop has nothing to wait for).
  let end = () => {};
  const ended = new Promise<void>((resolve) => {
    end = resolve;
  });
  worker.onmessage = (event: MessageEvent<FromThread>) => {
    const message = event.data;
    if (message.kind === "log") log[message.level](message.message, message.fields);
    else end();
  };
  worker.onerror = (event) => {
    log.error("email dispatcher thread failed", { error: event.message });
    end();
  };
  const send = (message: ToThread) => worker.postMessage(message);
  send({ kind: "start", setup });
  let stopped: Promise<void> | null = null;
  return {
    wake: () => {
      if (!stopped) send({ kind: "wake" });
    },
    stop: () => {
      if (!stopped) {
        send({ kind: "stop" });
        stopped = ended.then(() => worker.terminate());
      }
      return stopped;
    },
  };
}
