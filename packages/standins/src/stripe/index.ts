/** Stripe: the API (api.ts, composing one module per resource in resources/) and what Stripe.js asks of it from the browser. */
export { StripeStandIn } from "./api";
export { parseStripeParams } from "./params";
export type { SubscriptionPatch } from "./resources/subscriptions";
export { FakeStripeJs } from "./stripe-js";
