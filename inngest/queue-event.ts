import { sendEventsWithin } from "@/inngest/client";
import { boundedSend } from "@/lib/webhooks/bounded-send";
import { coalescedSend } from "@/lib/webhooks/coalesced-send";
import type { ForwardedEvent, QueueEvent } from "@/lib/webhooks/ingress";

// MEASUREMENT ONLY (bench/ingress.ts starts one server with each sender): removed once measured.
export const queueEvent: QueueEvent =
  process.env.ONRAMP_BENCH_INGRESS_SENDER === "coalesced"
    ? coalescedSend((events: ForwardedEvent[], signal) => sendEventsWithin(signal, events), {
        maxInFlight: 4,
        maxEvents: 100,
        maxBytes: 250_000,
        maxQueuedEvents: 1000,
        maxQueuedBytes: 32 * 1024 * 1024,
        deadlineMs: 5000,
        resendConcurrency: 4,
        retryAfterSeconds: 30,
      })
    : boundedSend((event: ForwardedEvent, signal) => sendEventsWithin(signal, event), {
        maxWaiting: 1000,
        maxWaitingBytes: 32 * 1024 * 1024,
        deadlineMs: 5000,
        retryAfterSeconds: 30,
      });
