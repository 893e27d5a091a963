import { randomUUID } from "node:crypto";
import type { Vendors } from "@onramp/standins/vitest";

/**
 * Someone signs up with a plan and a card, as the sign-up form leaves them in Clerk (the card a
 * ConfirmationToken Stripe.js made just now). Their user.created is the test's to send.
 */
export function signUpInClerk(vendors: Vendors) {
  return vendors.clerk.addUser({
    email: `ada.${randomUUID().slice(0, 8)}@example.com`,
    first_name: "Ada",
    last_name: "Lovelace",
    unsafe_metadata: { tier: "pro", confirmationToken: vendors.stripe.issueConfirmationToken() },
  });
}
