import Stripe from "stripe";
import { env } from "@/lib/env";
import { BillingNotConfiguredError } from "@/lib/errors";
import { retryAfterMs, type VendorFailure } from "./failure";

/** STRIPE_API_BASE points it at a local stand-in such as stripe-mock. */
const client = env.STRIPE_SECRET_KEY
  ? new Stripe(env.STRIPE_SECRET_KEY, {
      ...apiBase(env.STRIPE_API_BASE),
      // Retries belong to the caller (an Inngest step), which reuses the same idempotency key.
      maxNetworkRetries: 0,
      appInfo: { name: "onramp" },
    })
  : null;

/**
 * Whether billing is on, and if so its Stripe client: null when STRIPE_SECRET_KEY is unset (users
 * are then onboarded without a subscription, organizations tracked without a customer). The one
 * place that decides: a workflow, page or domain operation asks once, decides what billing off
 * means for it, and hands the client down; nothing below takes a client that may be null.
 */
export function billingClient(): Stripe | null {
  return client;
}

/** The Stripe client, for what cannot be done with billing off: it fails for good then. */
export function requiredBillingClient(): Stripe {
  if (!client) throw new BillingNotConfiguredError();
  return client;
}

/**
 * The Stripe publishable key for the card field, or null when billing is off on this server: the
 * workflow then onboards without a subscription, so no card is asked for.
 */
export function cardFieldPublishableKey(): string | null {
  return billingClient() ? (env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY ?? null) : null;
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

/** The id in a field Stripe may expand into its object (`customer`, `payment_method`, …). */
export function idOf(field: string | { id: string }): string;
export function idOf(field: string | { id: string } | null | undefined): string | undefined;
export function idOf(field: string | { id: string } | null | undefined) {
  return typeof field === "string" ? field : field?.id;
}

/** Verifies a Stripe webhook on its raw body; throws Stripe's signature error when it is not genuine. */
export function constructWebhookEvent(payload: string, signature: string, secret: string) {
  return Stripe.webhooks.constructEventAsync(payload, signature, secret);
}

/** What a Stripe error means; null when it is not one of Stripe's. */
export function classifyStripeError(error: unknown): VendorFailure | null {
  if (!(error instanceof Stripe.errors.StripeError)) return null;
  const vendor = "Stripe";
  const message = error.message;
  // 409: the same idempotency key is still being processed; the retry gets the answer.
  if (error.statusCode === 409 && !(error instanceof Stripe.errors.StripeIdempotencyError)) {
    return { kind: "transient", vendor, message };
  }
  if (error instanceof Stripe.errors.StripeRateLimitError || error.statusCode === 429) {
    return {
      kind: "rate_limited",
      vendor,
      retryAfterMs: retryAfterMs(error.headers?.["retry-after"], 1000),
      message,
    };
  }
  if (error instanceof Stripe.errors.StripeCardError) {
    return { kind: "permanent", vendor, code: "card_refused", message };
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return { kind: "permanent", vendor, code: "idempotency_conflict", message };
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) {
    const code =
      error.param === "confirmation_token"
        ? "token_refused"
        : error.code === "resource_missing"
          ? "not_found"
          : /^A canceled subscription/i.test(message)
            ? "already_canceled"
            : "rejected";
    return { kind: "permanent", vendor, code, message };
  }
  if (
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  ) {
    return { kind: "permanent", vendor, code: "rejected", message };
  }
  return { kind: "transient", vendor, message };
}
