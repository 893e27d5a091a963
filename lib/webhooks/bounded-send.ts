/**
 * Sends each event as it arrives, in its own request, within bounds that keep a slow or failing
 * API from taking the ingress down with it:
 * - every send has `deadlineMs`; then its request is aborted (`send`'s signal, which must end the
 *   request) and its caller refused (QueueUnavailableError), so the webhook's sender delivers it
 *   again later;
 * - at most `maxWaiting` sends (and `maxWaitingBytes` of their events) are out at once; beyond
 *   that a caller is refused at once, before anything is sent.
 * A refused event was either never sent or may have reached the API just before its request was
 * aborted: the sender's redelivery carries the same event id, which the API keeps once (Inngest
 * deduplicates by id), so nothing is queued twice. A caller resolves only once the API accepted
 * its event, so nothing that resolved is lost.
 */
export interface BoundedSendLimits {
  /** sends out at once, at most */
  maxWaiting: number;
  /** bytes of the events being sent, at most; a single larger event still goes */
  maxWaitingBytes: number;
  /** how long a caller waits for the API before it is refused */
  deadlineMs: number;
  /** when a refused caller's sender should try again */
  retryAfterSeconds: number;
}

/** Too many sends are out (full), or the API did not accept the event in time; retry later. */
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

export function boundedSend<Event>(
  send: (event: Event, signal: AbortSignal) => Promise<unknown>,
  limits: BoundedSendLimits,
) {
  let waiting = 0;
  let waitingBytes = 0;

  /**
   * Resolves once `event` is accepted; rejects with QueueUnavailableError when too many sends are
   * out or the deadline passed, and with the send's error when the API refused the event.
   */
  return async (event: Event, bytes: number) => {
    if (
      waiting >= limits.maxWaiting ||
      (waiting > 0 && waitingBytes + bytes > limits.maxWaitingBytes)
    ) {
      throw new QueueUnavailableError("full", limits.retryAfterSeconds);
    }
    waiting += 1;
    waitingBytes += bytes;
    const signal = AbortSignal.timeout(limits.deadlineMs);
    try {
      // The refusal does not wait for `send` to wind down: its request is aborted already.
      await new Promise<void>((resolve, reject) => {
        signal.addEventListener(
          "abort",
          () => reject(new QueueUnavailableError("timeout", limits.retryAfterSeconds)),
          { once: true },
        );
        send(event, signal).then(() => resolve(), reject);
      });
    } finally {
      waiting -= 1;
      waitingBytes -= bytes;
    }
  };
}
