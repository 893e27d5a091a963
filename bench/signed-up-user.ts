import { randomUUID } from "node:crypto";
import type { ClerkStandIn } from "@onramp/standins/vitest";

/** A new user in the Clerk stand-in who chose the Pro plan and a card Stripe accepts at sign-up. */
export function addSignedUpUser(clerk: ClerkStandIn) {
  return clerk.addUser({
    email: `bench.${randomUUID().slice(0, 8)}@example.com`,
    first_name: "Bench",
    unsafe_metadata: {
      tier: "pro",
      confirmationToken: `ctoken_ok_${randomUUID().replaceAll("-", "")}`,
    },
  });
}
