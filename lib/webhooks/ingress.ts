import { logger } from "@/lib/logger";
import { QueueUnavailableError } from "./coalesced-send";

/**
 * What every webhook route shares: a size limit checked before any verification work, the
 * answers senders act on, and the hand-off to the queue (Inngest, given by the route). Senders
 * (Svix, Stripe) retry anything that is not 2xx, so a 5xx is how an event that could not be
 * queued gets delivered later.
 */

/** Far above any Clerk or Stripe event we subscribe to, and within Inngest's event size limit. */
export const maxWebhookBytes = 256 * 1024;

export interface ForwardedEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
}

/** Queues a verified event (`bytes`, the webhook's size, bounds its size); rejects if it cannot. */
export type QueueEvent = (event: ForwardedEvent, bytes: number) => Promise<void>;

/**
 * The raw body as text, or null when it exceeds `limit` bytes: the declared content-length is
 * checked first, then the bytes actually received, so a missing or false header cannot smuggle
 * in a larger body.
 */
export async function readBodyWithin(request: Request, limit = maxWebhookBytes) {
  const declared = Number(request.headers.get("content-length"));
  if (declared > limit) return null;
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function answer(status: number, body: Record<string, unknown>, headers: HeadersInit = {}) {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

export const payloadTooLarge = () =>
  answer(413, { error: `Webhook bodies are limited to ${maxWebhookBytes} bytes` });

export const rejected = (reason: string) => answer(400, { error: reason });

/**
 * 503 while the signing secret is unset: nothing can be verified, so nothing is accepted, and the
 * sender keeps retrying (Svix for about a day, Stripe for three) until the secret is configured.
 */
export function notConfigured(variable: string) {
  logger.error("webhook received but not verifiable; answering 503 so it is retried", { variable });
  return answer(503, { error: `Webhook verification is not configured (${variable})` });
}

/**
 * Queues the verified event: 200 once it is queued; 503 with Retry-After while the queue is full
 * or Inngest does not answer in time, 502 when Inngest refused it (either way the sender retries).
 */
export async function forward(event: ForwardedEvent, bodyBytes: number, queue: QueueEvent) {
  try {
    await queue(event, bodyBytes);
  } catch (error) {
    logger.error("could not queue webhook event", { event: event.name, eventId: event.id }, error);
    if (error instanceof QueueUnavailableError) {
      return answer(
        503,
        { error: "The event queue is busy; retry later" },
        { "retry-after": String(error.retryAfterSeconds) },
      );
    }
    return answer(502, { error: "The event could not be queued; retry later" });
  }
  return answer(200, { received: true, id: event.id });
}
