import { randomUUID } from "node:crypto";
import type { ClerkStandIn, StripeStandIn } from "@onramp/standins/vitest";

/**
 * A new user in the Clerk stand-in who chose the Pro plan and a card Stripe accepts at sign-up
 * (its ConfirmationToken made by the Stripe stand-in, as Stripe.js has Stripe make it).
 */
export function addSignedUpUser(vendors: { clerk: ClerkStandIn; stripe: StripeStandIn }) {
  return vendors.clerk.addUser({
    email: `bench.${randomUUID().slice(0, 8)}@example.com`,
    first_name: "Bench",
    unsafe_metadata: {
      tier: "pro",
      confirmationToken: vendors.stripe.issueConfirmationToken(),
    },
  });
}
