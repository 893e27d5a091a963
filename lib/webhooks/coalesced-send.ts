/**
 * Sends events in as few requests as possible without holding any back, the way a database's
 * group commit does: while `maxInFlight` requests are out, events that arrive wait, and leave
 * together when one returns. One webhook alone goes out at once; under load, N deliveries cost
 * one request instead of N, which is most of the ingress's CPU (see bench/RESULTS.md).
 *
 * Each caller's promise settles with the request that carried its own event, so a 2xx still
 * means "queued". If a shared request fails, its events are sent again alone, a few at a time:
 * an event the API refuses then fails only its own delivery, never its neighbours'.
 *
 * Bounded, so a slow or failing API cannot take the ingress down with it:
 * - Every event has `deadlineMs` from its arrival. An event still waiting then is dropped from
 *   the queue, never sent; a request still out for it is aborted (`send`'s signal, which must
 *   end the request) once no event in it can use the answer, and frees its place at once. Either way its caller is refused (QueueUnavailableError), so the
 *   webhook's sender delivers it again later.
 * - At most `maxQueuedEvents` events and `maxQueuedBytes` wait; beyond that a caller is refused at
 *   once, before anything is sent.
 * A refused event was either never sent or was in a request that may have reached the API before
 *   it was aborted or answered in error: the sender's redelivery carries the same event id, which
 *   the API keeps once (Inngest deduplicates by id), so nothing is queued twice. Nothing that
 *   resolved is lost: a caller resolves only once the API accepted the request carrying its event.
 */
export interface CoalescedSendLimits {
  /** requests out at once */
  maxInFlight: number;
  /** events per request */
  maxEvents: number;
  /** estimated bytes per request; a single larger event still goes, alone */
  maxBytes: number;
  /** events waiting for a request, at most */
  maxQueuedEvents: number;
  /** bytes of the events waiting for a request, at most */
  maxQueuedBytes: number;
  /** how long a caller waits, from its arrival, before it is refused */
  deadlineMs: number;
  /** single resends of a failed shared request out at once (per shared request) */
  resendConcurrency: number;
  /** when a refused caller's sender should try again */
  retryAfterSeconds: number;
}

/** The queue could not take an event (full) or get it accepted in time; the sender should retry. */
export class QueueUnavailableError extends Error {
  constructor(
    readonly reason: "full" | "timeout",
    readonly retryAfterSeconds: number,
  ) {
    super(
      reason === "full"
        ? "Too many events are waiting to be queued"
        : "The event queue did not answer in time",
    );
    this.name = "QueueUnavailableError";
  }
}

interface Waiting<Event> {
  event: Event;
  bytes: number;
  deadline: number;
  settled: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function coalescedSend<Event>(
  send: (events: Event[], signal: AbortSignal) => Promise<unknown>,
  limits: CoalescedSendLimits,
) {
  const { maxInFlight, maxEvents, maxBytes, resendConcurrency } = limits;
  const waiting: Waiting<Event>[] = [];
  let waitingBytes = 0;
  let inFlight = 0;

  const unavailable = (reason: "full" | "timeout") =>
    new QueueUnavailableError(reason, limits.retryAfterSeconds);

  function settle(entry: Waiting<Event>, error?: unknown) {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (error === undefined) entry.resolve();
    else entry.reject(error);
  }

  /** The caller's time is up: out of the queue if it is still there (never sent), and refused. */
  function expire(entry: Waiting<Event>) {
    const index = waiting.indexOf(entry);
    if (index >= 0) {
      waiting.splice(index, 1);
      waitingBytes -= entry.bytes;
    }
    settle(entry, unavailable("timeout"));
  }

  function nextBatch() {
    let count = 0;
    let bytes = 0;
    for (const { bytes: size } of waiting) {
      if (count === maxEvents || (count > 0 && bytes + size > maxBytes)) break;
      count += 1;
      bytes += size;
    }
    waitingBytes -= bytes;
    return waiting.splice(0, count);
  }

  /**
   * `send`, aborted once every event in the request is past its deadline: then it fails with a
   * timeout at once, without waiting for `send` to wind down (its request is aborted already).
   */
  function sendWithinDeadlines(batch: Waiting<Event>[]) {
    const last = Math.max(...batch.map((entry) => entry.deadline));
    const signal = AbortSignal.timeout(Math.max(0, last - Date.now()));
    const sent = send(
      batch.map(({ event }) => event),
      signal,
    );
    const timedOut = new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(unavailable("timeout")), { once: true }),
    );
    // Whichever loses the race settles unobserved.
    sent.catch(() => {});
    timedOut.catch(() => {});
    return Promise.race([sent, timedOut]);
  }

  async function deliver(batch: Waiting<Event>[]) {
    try {
      await sendWithinDeadlines(batch);
      for (const entry of batch) settle(entry);
    } catch (error) {
      // Out of time (every caller in it is past its deadline), or nothing to tell apart.
      if (error instanceof QueueUnavailableError || batch.length === 1) {
        for (const entry of batch) settle(entry, error);
        return;
      }
      // Alone, a few at a time, only those whose callers still wait.
      const pending = [...batch];
      const resendNext = async (): Promise<void> => {
        const entry = pending.shift();
        if (!entry) return;
        if (!entry.settled) {
          await sendWithinDeadlines([entry]).then(
            () => settle(entry),
            (failure: unknown) => settle(entry, failure),
          );
        }
        return resendNext();
      };
      await Promise.all(Array.from({ length: resendConcurrency }, resendNext));
    }
  }

  function drain() {
    while (inFlight < maxInFlight && waiting.length > 0) {
      inFlight += 1;
      void deliver(nextBatch()).finally(() => {
        inFlight -= 1;
        drain();
      });
    }
  }

  /**
   * Resolves once `event` is accepted; rejects with QueueUnavailableError when the queue is full
   * or the deadline passed, and with the send's error when the API refused the event.
   */
  return (event: Event, bytes: number) =>
    new Promise<void>((resolve, reject) => {
      if (
        waiting.length >= limits.maxQueuedEvents ||
        (waiting.length > 0 && waitingBytes + bytes > limits.maxQueuedBytes)
      ) {
        return reject(unavailable("full"));
      }
      const entry: Waiting<Event> = {
        event,
        bytes,
        deadline: Date.now() + limits.deadlineMs,
        settled: false,
        timer: setTimeout(() => expire(entry), limits.deadlineMs),
        resolve,
        reject,
      };
      waiting.push(entry);
      waitingBytes += bytes;
      drain();
    });
}
