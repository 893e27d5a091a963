import { env } from "@/lib/env";
import { constructWebhookEvent } from "@/lib/vendors/stripe";
import {
  forward,
  isPlainObject,
  notConfigured,
  payloadTooLarge,
  readBodyWithin,
  rejected,
  type ForwardedEvent,
  type QueueEvent,
} from "./ingress";

/**
 * A Stripe event as Inngest event `stripe/<type>` with the event's own `evt_…` id, carrying the
 * Stripe object so handlers can re-fetch it by id.
 */
export function stripeEvent(payload: unknown): ForwardedEvent | null {
  if (!isPlainObject(payload) || typeof payload.id !== "string" || !payload.id) return null;
  if (typeof payload.type !== "string" || !payload.type) return null;
  if (!isPlainObject(payload.data) || !isPlainObject(payload.data.object)) return null;
  return { id: payload.id, name: `stripe/${payload.type}`, data: payload.data.object };
}

/**
 * POST /api/webhooks/stripe: verify the signature on the raw body (Stripe refuses timestamps
 * more than 5 minutes old), then queue the event. Without STRIPE_WEBHOOK_SECRET billing is off
 * and nothing can be verified: 503, so Stripe keeps the events until the secret is set.
 */
export async function receiveStripeWebhook(request: Request, queue: QueueEvent): Promise<Response> {
  const secret = env.STRIPE_WEBHOOK_SECRET;
  if (!secret) return notConfigured("STRIPE_WEBHOOK_SECRET");

  const body = await readBodyWithin(request);
  if (body === null) return payloadTooLarge();

  const signature = request.headers.get("stripe-signature");
  if (!signature) return rejected("Invalid Stripe webhook: no Stripe-Signature header");

  let payload: unknown;
  try {
    payload = await constructWebhookEvent(body, signature, secret);
  } catch (error) {
    return rejected(`Invalid Stripe webhook: ${error instanceof Error ? error.message : error}`);
  }

  const event = stripeEvent(payload);
  if (!event)
    return rejected("Invalid Stripe webhook: not an event with an id, a type and an object");
  return forward(event, Buffer.byteLength(body), queue);
}
