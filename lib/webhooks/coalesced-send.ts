/**
 * Sends events in as few requests as possible without holding any back, the way a database's
 * group commit does: while `maxInFlight` requests are out, events that arrive wait, and leave
 * together when one returns. One webhook alone goes out at once; under load, N deliveries cost
 * one request instead of N, which is most of the ingress's CPU (see bench/RESULTS.md).
 *
 * Each caller's promise settles with the request that carried its own event, so a 2xx still
 * means "queued". If a shared request fails, every event in it is sent again alone: an event the
 * API refuses then fails only its own delivery, never its neighbours'.
 */
export interface CoalescedSendLimits {
  /** requests out at once */
  maxInFlight: number;
  /** events per request */
  maxEvents: number;
  /** estimated bytes per request; a single larger event still goes, alone */
  maxBytes: number;
}

interface Waiting<Event> {
  event: Event;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export function coalescedSend<Event>(
  send: (events: Event[]) => Promise<unknown>,
  { maxInFlight, maxEvents, maxBytes }: CoalescedSendLimits,
) {
  const waiting: Waiting<Event>[] = [];
  let inFlight = 0;

  function nextBatch() {
    let count = 0;
    let bytes = 0;
    for (const { bytes: size } of waiting) {
      if (count === maxEvents || (count > 0 && bytes + size > maxBytes)) break;
      count += 1;
      bytes += size;
    }
    return waiting.splice(0, count);
  }

  async function deliver(batch: Waiting<Event>[]) {
    try {
      await send(batch.map(({ event }) => event));
      for (const { resolve } of batch) resolve();
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      await Promise.all(
        batch.map(({ event, resolve, reject }) => send([event]).then(resolve, reject)),
      );
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

  /** Resolves once `event` is accepted; rejects with the send's error if it is not. */
  return (event: Event, bytes: number) =>
    new Promise<void>((resolve, reject) => {
      waiting.push({ event, bytes, resolve, reject });
      drain();
    });
}
