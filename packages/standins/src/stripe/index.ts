/** Stripe: the API (api.ts) and what Stripe.js asks of it from the browser. */
export { StripeStandIn, parseStripeParams, type SubscriptionPatch } from "./api";
export { FakeStripeJs } from "./stripe-js";
