import { randomUUID } from "node:crypto";
import Stripe from "stripe";
import { svixHeaders } from "@onramp/standins/webhooks";

/**
 * Webhook deliveries as Clerk (through Svix) and Stripe make them: the raw body, signed with the
 * endpoint's secret over exactly those bytes. The secrets default to the ones the app is
 * configured with at call time, so a file that stubs other secrets signs with those.
 */
export interface DeliveryOptions {
  /** the bytes that were signed, when they differ from those delivered (tampered, truncated) */
  signed?: string;
  secret?: string;
  /** when the sender signed it */
  at?: Date;
  contentType?: string;
  /** Clerk only: the Svix message id (a redelivery reuses it) */
  msgId?: string;
  /** headers to replace after signing, or to leave out (null) */
  headers?: Record<string, string | null>;
}

function delivery(
  url: string,
  body: string,
  signed: Record<string, string>,
  options: DeliveryOptions,
) {
  const headers = new Headers(signed);
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) headers.delete(name);
    else headers.set(name, value);
  }
  return new Request(url, { method: "POST", headers, body });
}

export const clerkWebhookUrl = "http://localhost:3000/api/webhooks/clerk";
export const stripeWebhookUrl = "http://localhost:3000/api/webhooks/stripe";

export function clerkDelivery(body: string, options: DeliveryOptions = {}): Request {
  const {
    signed = body,
    secret = process.env.CLERK_WEBHOOK_SIGNING_SECRET!,
    at = new Date(),
    contentType = "application/json",
    msgId = `msg_${randomUUID()}`,
  } = options;
  return delivery(
    clerkWebhookUrl,
    body,
    { "content-type": contentType, ...svixHeaders(secret, signed, { msgId, at }) },
    options,
  );
}

export function stripeDelivery(body: string, options: DeliveryOptions = {}): Request {
  const {
    signed = body,
    secret = process.env.STRIPE_WEBHOOK_SECRET!,
    at = new Date(),
    contentType = "application/json; charset=utf-8",
  } = options;
  const signature = Stripe.webhooks.generateTestHeaderString({
    payload: signed,
    secret,
    timestamp: Math.floor(at.getTime() / 1000),
  });
  return delivery(
    stripeWebhookUrl,
    body,
    { "content-type": contentType, "stripe-signature": signature },
    options,
  );
}
