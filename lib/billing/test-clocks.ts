import type Stripe from "stripe";
import { madeBy } from "@/lib/billing/ownership";
import { env } from "@/lib/env";
import { PermanentError } from "@/lib/errors";

/**
 * Stripe's test clocks for watching a subscription's life without waiting for it: with
 * STRIPE_TEST_CLOCKS=1 (test keys only, lib/env.ts) each new user's customer is made on a test
 * clock of its own, frozen at their sign-up, and `npm run stripe:clock` (or Stripe's dashboard)
 * moves it on: the trial ends, invoices are charged, retries run, and Stripe's webhooks tell the
 * app as they would over a month. Stripe deletes a test clock, with its customers, some days after
 * it was made: for demo mode and test-mode environments, never for real customers.
 */

/**
 * The clock's name: how a rerun finds the clock an earlier run made for the user. Test clocks
 * carry no metadata, so the name holds this deployment's tag (ONRAMP_ENVIRONMENT).
 */
const clockName = (userId: string) => `onramp ${env.ONRAMP_ENVIRONMENT} ${userId}`;

/**
 * The test clock the user's new customer goes on, when test clocks are on; undefined otherwise.
 * Frozen at the sign-up's time (the same on every retry, so the key replays Stripe's first
 * answer); a rerun after Stripe forgot the key finds the clock by its name.
 */
export async function testClockForNewCustomer(
  stripe: Stripe,
  user: { id: string; signedUpAt: Date | null },
  { lookInStripe }: { lookInStripe: boolean },
): Promise<string | undefined> {
  if (env.STRIPE_TEST_CLOCKS !== "1") return undefined;
  if (lookInStripe) {
    for await (const clock of stripe.testHelpers.testClocks.list({ limit: 100 })) {
      if (clock.name === clockName(user.id)) return clock.id;
    }
  }
  // Without Clerk's sign-up time (never in practice), now, and no key: a retry finds it by name.
  const signedUpAt = user.signedUpAt?.getTime();
  const clock = await stripe.testHelpers.testClocks.create(
    { frozen_time: Math.floor((signedUpAt ?? Date.now()) / 1000), name: clockName(user.id) },
    signedUpAt ? { idempotencyKey: `test-clock:${user.id}` } : {},
  );
  return clock.id;
}

/** What advancing did: the clock's new time, and the subscriptions as Stripe has them after. */
export interface Advanced {
  customerId: string;
  clockId: string;
  frozenTime: Date;
  subscriptions: { id: string; status: string; trialEnd: Date | null }[];
}

/**
 * Moves the test clock of the customer with this email address (or Clerk user id) `seconds` on,
 * waiting until Stripe has finished advancing it. Another deployment's customers (their
 * ONRAMP_ENVIRONMENT tag) are not this one's to move.
 */
export async function advanceCustomerClock(
  stripe: Stripe,
  who: string,
  seconds: number,
): Promise<Advanced> {
  const query = who.includes("@")
    ? `email:'${who.replaceAll("'", "\\'")}'`
    : `metadata['clerk_user_id']:'${who.replaceAll("'", "\\'")}'`;
  const { data: customers } = await stripe.customers.search({ query, limit: 10 });
  const ours = customers.filter((candidate) => madeBy(candidate.metadata) !== "another");
  const customer = ours.find((candidate) => candidate.test_clock);
  if (!customer) {
    throw new PermanentError(
      ours.length
        ? `${who}'s Stripe customer is not on a test clock (it was made without STRIPE_TEST_CLOCKS=1)`
        : `Stripe has no customer for ${who}`,
    );
  }
  const clockId =
    typeof customer.test_clock === "string" ? customer.test_clock : customer.test_clock!.id;
  const before = await stripe.testHelpers.testClocks.retrieve(clockId);
  let clock = await stripe.testHelpers.testClocks.advance(clockId, {
    frozen_time: before.frozen_time + seconds,
  });
  // Stripe advances in the background; the clock says when it is done.
  for (let polls = 0; clock.status === "advancing" && polls < 120; polls++) {
    await new Promise((resolve) => setTimeout(resolve, polls === 0 ? 0 : 1000));
    clock = await stripe.testHelpers.testClocks.retrieve(clockId);
  }
  const { data } = await stripe.subscriptions.list({ customer: customer.id, status: "all" });
  return {
    customerId: customer.id,
    clockId,
    frozenTime: new Date(clock.frozen_time * 1000),
    subscriptions: data.map((sub) => ({
      id: sub.id,
      status: sub.status,
      trialEnd: sub.trial_end ? new Date(sub.trial_end * 1000) : null,
    })),
  };
}
