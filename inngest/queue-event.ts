import { inngest } from "@/inngest/client";
import { coalescedSend } from "@/lib/webhooks/coalesced-send";
import type { ForwardedEvent, QueueEvent } from "@/lib/webhooks/ingress";

/**
 * How the webhook routes queue verified events: sent to Inngest, concurrent deliveries coalesced
 * into shared requests. The event id makes redeliveries of one webhook a single Inngest event.
 * Limits well inside Inngest's event API (5000 events and 256 KB per request on the free plan).
 */
export const queueEvent: QueueEvent = coalescedSend(
  async (events: ForwardedEvent[]) => {
    await inngest.send(events);
  },
  { maxInFlight: 4, maxEvents: 100, maxBytes: 250_000 },
);
