import Stripe from "stripe";
import { env } from "@/lib/env";

/**
 * The Stripe client, or null when billing is not configured (users are then onboarded without a
 * subscription). STRIPE_API_BASE points it at a local stand-in such as stripe-mock.
 */
export const stripe: Stripe | null = env.STRIPE_SECRET_KEY
  ? new Stripe(env.STRIPE_SECRET_KEY, {
      ...apiBase(env.STRIPE_API_BASE),
      // Retries belong to the Inngest step, which reuses the same idempotency key.
      maxNetworkRetries: 0,
      appInfo: { name: "onramp" },
    })
  : null;

/** For paths that cannot run without billing; callers check `stripe` first where it is optional. */
export function requireStripe(): Stripe {
  if (!stripe) throw new Error("Billing is not configured: set STRIPE_SECRET_KEY");
  return stripe;
}

function apiBase(base: string | undefined) {
  if (!base) return {};
  const url = new URL(base);
  const protocol = url.protocol === "http:" ? "http" : "https";
  return {
    protocol,
    host: url.hostname,
    port: url.port || (protocol === "http" ? 80 : 443),
  } as const;
}

/** Verifies a Stripe webhook on its raw body; throws Stripe's signature error when it is not genuine. */
export function constructWebhookEvent(payload: string, signature: string, secret: string) {
  return Stripe.webhooks.constructEventAsync(payload, signature, secret);
}
