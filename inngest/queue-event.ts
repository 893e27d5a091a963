import { sendEventsWithin } from "@/inngest/client";
import { coalescedSend } from "@/lib/webhooks/coalesced-send";
import type { ForwardedEvent, QueueEvent } from "@/lib/webhooks/ingress";

/**
 * How the webhook routes queue verified events: sent to Inngest, concurrent deliveries coalesced
 * into shared requests (one send per event measured 0.60–0.83× the throughput, short of the
 * ingress guard: bench/RESULTS.md). The event id makes redeliveries of one webhook a single Inngest event.
 * Limits well inside Inngest's event API (5000 events and 256 KB per request on the free plan).
 * A delivery waits at most 5 s for Inngest, well inside the time Svix (15 s) and Stripe give a
 * webhook to answer, so a slow or hung Inngest gets the delivery a 503 (sent again later) rather
 * than the sender's own timeout; 1000 events or 32 MB waiting (each webhook is ≤ 256 KiB) fill
 * the queue, and later deliveries get a 503 at once.
 */
export const queueEvent: QueueEvent = coalescedSend(
  (events: ForwardedEvent[], signal) => sendEventsWithin(signal, events),
  {
    maxInFlight: 4,
    maxEvents: 100,
    maxBytes: 250_000,
    maxQueuedEvents: 1000,
    maxQueuedBytes: 32 * 1024 * 1024,
    deadlineMs: 5000,
    resendConcurrency: 4,
    retryAfterSeconds: 30,
  },
);
