import type Stripe from "stripe";
import { newId } from "../standin";

/** The `next_action` of an intent waiting for the customer to pass 3-D Secure in Stripe.js. */
export const threeDSecureAction = (
  intent: "setup_intent" | "payment_intent",
  id: string,
): Stripe.SetupIntent.NextAction & Stripe.PaymentIntent.NextAction => ({
  type: "use_stripe_sdk",
  use_stripe_sdk: {
    type: "three_d_secure_redirect",
    stripe_js: `https://hooks.stripe.com/3d_secure_2/hosted?${intent}=${id}`,
    source: newId("src_"),
  },
});

/** The SetupIntent or PaymentIntent, which must be waiting for the customer to authenticate. */
export function awaitingAction<T extends { status: string }>(
  intents: Map<string, T>,
  id: string,
): T {
  const intent = intents.get(id);
  if (intent?.status !== "requires_action")
    throw new Error(`StripeStandIn: ${id} is not awaiting action`);
  return intent;
}
