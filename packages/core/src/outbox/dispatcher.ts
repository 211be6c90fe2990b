import { type EmailMessage, MAX_BATCH_EMAILS } from "@roster/email";
import type { CoreDeps } from "../context.ts";
import { errorMessage } from "../logger.ts";
import { leaseMsOf } from "../sync/store/lease.ts";
import { openBody } from "./body.ts";
import {
  anyClaimable,
  assignKey,
  type ClaimedBatch,
  type ClaimedEmail,
  claimBatches,
  nextDueAt,
  readBodies,
} from "./claim.ts";
import { Pacer, retryDelayMs } from "./pacing.ts";
import { failedStatements, releaseStatements, retryStatements, sentStatements } from "./record.ts";
import { createSettler } from "./settle.ts";
import { outboxWrites } from "./writes.ts";

export type EmailDispatcherOptions = {
  /** Requests per second at most (ROSTER_EMAIL_RATE); Resend's default limit is 2. */
  ratePerSecond?: number;
  /** Attempts before a row is failed for good. */
  maxAttempts?: number;
  /** Wait before a row's second attempt; each later one waits 3× longer (~18 h over 8). */
  retryBaseMs?: number;
  /** Pause after a 5xx or dropped connection, doubling with each in a row, up to the max. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** How long claimed rows stay this process's without being settled (default: the run lease). */
  leaseMs?: number;
  /** Longest sleep with nothing due: rows written by processes that cannot wake this one. */
  idlePollMs?: number;
  batchSize?: number;
  /**
   * Requests in flight at once. Resend limits the rate, not concurrency; one at a time, a
   * request's round trip plus claiming and recording caps the rate below a high limit.
   */
  maxInFlight?: number;
  /**
   * Sending held in hand, in seconds at the ceiling rate: claimed ahead, because a sync's
   * write holds the database's write lock for seconds (measured: up to 3.3 s for a 50,000-user
   * chunk with its emails), and a claim waits for it. Topped up a second's worth at a time.
   */
  claimAheadSeconds?: number;
};

export const EMAIL_DISPATCH_DEFAULTS = {
  ratePerSecond: 2,
  maxAttempts: 8,
  retryBaseMs: 60_000,
  backoffBaseMs: 1_000,
  backoffMaxMs: 60_000,
  idlePollMs: 5_000,
  batchSize: MAX_BATCH_EMAILS,
  maxInFlight: 4,
  claimAheadSeconds: 6,
} as const;

export type EmailDispatcher = {
  /** Rows were committed: look now instead of at the next poll. */
  wake(): void;
  /** Finishes the request in flight and records it, then stops. */
  stop(): Promise<void>;
};

/** Shortest idle sleep, so a row due "now" on a clock that does not move cannot spin the loop. */
const MIN_IDLE_MS = 50;
/** How often a drained dispatcher looks (a read) for rows no wake announced. */
const DRAINED_LOOK_MS = 100;

/**
 * The one owner of outbox delivery (welcome emails, secret-expiry notices, any later kind):
 * claims a batch of due rows with a lease, sends it in one request under its
 * Idempotency-Key, records each row's fate, and paces itself by the provider's answers.
 * It runs in every process with the scheduler on; the lease keeps them from sending a row
 * twice, the key keeps a retry after a crash or a lost answer from doing so.
 */
export function startEmailDispatcher(
  deps: CoreDeps,
  options: EmailDispatcherOptions = {},
): EmailDispatcher {
  const transport = deps.email;
  if (transport?.kind !== "resend")
    throw new Error("The email dispatcher needs a Resend transport");
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  const settings: Required<Omit<EmailDispatcherOptions, "leaseMs">> = {
    ...EMAIL_DISPATCH_DEFAULTS,
    ...Object.fromEntries(given),
  };
  const leaseMs = options.leaseMs ?? leaseMsOf(deps);
  const owner = `${deps.instanceId ?? "roster"}/mail-${crypto.randomUUID().slice(0, 8)}`;
  const pacer = new Pacer(settings);
  const write = outboxWrites(deps);
  const log = deps.log;
  const settler = createSettler(write, (error) =>
    log.error("email settlement not written", {
      error: errorMessage(error),
    }),
  );
  const settle = settler.add;
  let stopped = false;
  let woken = false;
  let sleeping: { wakeable: boolean; end: () => void } | null = null;

  const sleep = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        sleeping = null;
        resolve();
      };
      const timer = setTimeout(end, ms);
      sleeping = { wakeable, end };
    });

  /** Waits until the pacer allows the next request (provider limit, ceiling, backoff). */
  const paced = async () => {
    for (let wait = pacer.delayMs(); wait > 0 && !stopped; wait = pacer.delayMs())
      await sleep(wait, false);
  };

  const idle = async () => {
    if (woken) {
      woken = false;
      return;
    }
    const due = await nextDueAt(deps);
    const untilDue = due === null ? Number.POSITIVE_INFINITY : due - deps.clock.now().getTime();
    await sleep(Math.max(MIN_IDLE_MS, Math.min(settings.idlePollMs, untilDue)), true);
  };

  const messageOf = (row: ClaimedEmail, ciphertext: string | undefined): EmailMessage | null => {
    if (!ciphertext) return null;
    try {
      const body = openBody(deps.keyring, ciphertext);
      return { to: row.to, subject: row.subject, text: body.text, html: body.html };
    } catch {
      return null;
    }
  };

  const deliver = async (
    key: string,
    rows: ClaimedEmail[],
    bodies: ReadonlyMap<string, string>,
  ): Promise<void> => {
    // Decrypted once per row: at 50 requests a second this is most of the dispatcher's CPU.
    const opened = rows.map((row) => ({ row, message: messageOf(row, bodies.get(row.id)) }));
    const unreadable = failedStatements(
      opened
        .filter((entry) => entry.message === null)
        .map(({ row }) => ({ row, error: "The email body is missing or unreadable." })),
    );
    const readable = opened.filter(
      (entry): entry is { row: ClaimedEmail; message: EmailMessage } => entry.message !== null,
    );
    const held = readable.map((entry) => entry.row);
    if (held.length === 0 || stopped) {
      return settle([...unreadable, ...releaseStatements(held, owner)]);
    }
    const messages = readable.map((entry) => entry.message);
    // Counted before the first await, so the next claim is paced after this request.
    pacer.started();
    const outcome = await transport.sendBatch(messages, key);
    pacer.observe(outcome);
    settle(unreadable);
    const now = deps.clock.now().getTime();

    if (outcome.ok) {
      const rejected = new Map(outcome.rejected.map((entry) => [entry.index, entry.message]));
      const sent = held.flatMap((row, index) =>
        rejected.has(index) ? [] : [{ id: row.id, providerId: outcome.ids[index] ?? null }],
      );
      const failed = held.flatMap((row, index) => {
        const error = rejected.get(index);
        return error === undefined ? [] : [{ row, error: `Refused by Resend: ${error}` }];
      });
      if (failed.length > 0)
        log.warn("emails refused by the provider", { count: failed.length, batch: held.length });
      return settle([...sentStatements(sent, now), ...failedStatements(failed)]);
    }
    if (outcome.kind === "rate_limited") {
      log.debug("email provider asked to wait", { retryAfter: outcome.rate.retryAfterSeconds });
      return settle(releaseStatements(held, owner));
    }
    if (outcome.kind === "rejected") {
      const [only] = held;
      if (held.length === 1 && only)
        return settle(failedStatements([{ row: only, error: outcome.error }]));
      // Refused whole (a request-level validation): halve until the refused email stands
      // alone, so it fails by itself and the others are sent. Each half gets its own key.
      const middle = Math.ceil(held.length / 2);
      for (const half of [held.slice(0, middle), held.slice(middle)]) {
        await paced();
        await deliver(await assignKey(write, owner, half), half, bodies);
      }
      return;
    }
    // 5xx, dropped connection, timeout: try again later, under the same key.
    const exhausted = held.filter((row) => row.attempts + 1 >= settings.maxAttempts);
    const retrying = held.filter((row) => row.attempts + 1 < settings.maxAttempts);
    const attempt = Math.max(...held.map((row) => row.attempts)) + 1;
    log.warn("email batch not delivered, will retry", {
      status: outcome.status,
      error: outcome.error,
      count: held.length,
      attempt,
    });
    settle([
      ...failedStatements(
        exhausted.map((row) => ({
          row,
          error: `${outcome.error} (after ${settings.maxAttempts} attempts)`,
        })),
      ),
      ...retryStatements(
        retrying,
        outcome.error,
        now + retryDelayMs(attempt, settings.retryBaseMs),
      ),
    ]);
  };

  const inFlight = new Set<Promise<void>>();
  const reportFailure = (error: unknown) =>
    // The database refused (busy, full disk): the lease lapses, the rows are taken again.
    log.error("email dispatch failed", {
      error: errorMessage(error),
    });
  const failed = async (error: unknown) => {
    reportFailure(error);
    if (!stopped) await sleep(settings.backoffMaxMs / 10, false);
  };

  // Batches leased and waiting for their turn, topped up in the background once a second's
  // worth is gone.
  const claimAhead = Math.max(1, Math.ceil(settings.ratePerSecond * settings.claimAheadSeconds));
  // A second's worth a claim: a claim rewrites each row it leases, and a large one kept the
  // first of them from being sent for a second (measured: 290 batches in 1.1 s).
  const perClaim = Math.min(claimAhead, Math.ceil(settings.ratePerSecond));
  const refillBelow = claimAhead - perClaim;
  const claimed: ClaimedBatch[] = [];
  let claiming: Promise<void> | null = null;
  // A claim that found fewer rows than it asked for took every due row: until new rows are
  // committed (a wake, or a look that finds some) claiming again finds nothing, and each
  // such claim is a write transaction in a sync's way (measured: one every ~20 ms during a
  // 100k sync, each ~25 ms). The look is a read: no write lock. It finds rows a wake did not
  // announce: another process's, or a wake that came late (the sync's thread was busy).
  let drained = false;
  let lookedAt = Number.NEGATIVE_INFINITY;
  let wakes = 0;
  const claimMore = async () => {
    if (drained) {
      if (performance.now() - lookedAt < DRAINED_LOOK_MS) return;
      lookedAt = performance.now();
      if (!(await anyClaimable(deps))) return;
    }
    const wanted = Math.min(claimAhead - claimed.length, perClaim);
    const wakesBefore = wakes;
    const batches = await claimBatches(deps, write, {
      owner,
      leaseMs,
      limit: settings.batchSize,
      groups: wanted,
    });
    claimed.push(...batches);
    drained = batches.length < wanted && wakes === wakesBefore;
  };
  const refill = () => {
    claiming ??= claimMore().finally(() => {
      claiming = null;
    });
    return claiming;
  };

  const loop = async () => {
    while (!stopped) {
      try {
        if (inFlight.size >= settings.maxInFlight) await Promise.race(inFlight);
        if (claimed.length === 0) await refill();
        const batch = claimed.shift();
        if (!batch) {
          // Let what is in flight answer first: its 429 or 5xx decides the next wait.
          if (inFlight.size > 0) await Promise.race(inFlight);
          else await idle();
          continue;
        }
        if (claimed.length <= refillBelow) refill().catch(reportFailure);
        // Read before the wait: the request then goes the moment the pacer allows it.
        const bodies = await readBodies(deps, batch.rows);
        await paced();
        const delivery: Promise<void> = deliver(batch.key, batch.rows, bodies)
          .catch(failed)
          .finally(() => inFlight.delete(delivery));
        inFlight.add(delivery);
      } catch (error) {
        await failed(error);
      }
    }
    await Promise.all(inFlight);
    await claiming?.catch(() => {});
    // Held but not sent: back to the queue for whoever runs next.
    settle(
      releaseStatements(
        claimed.splice(0).flatMap((batch) => batch.rows),
        owner,
      ),
    );
    await settler.idle();
  };
  const running = loop();

  return {
    wake() {
      wakes += 1;
      drained = false;
      if (sleeping?.wakeable) sleeping.end();
      else woken = true;
    },
    async stop() {
      stopped = true;
      sleeping?.end();
      await running;
    },
  };
}
