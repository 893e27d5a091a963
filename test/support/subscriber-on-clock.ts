import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { billingClient } from "@/lib/vendors/stripe";
import type { Vendors } from "@onramp/standins/vitest";

export const DAY = 86_400;
export const HOUR = 3_600;

/**
 * A Pro subscriber whose Stripe customer lives on a test clock, as the workflows leave one: the
 * Clerk user, the customer, a card saved from a token of `card`'s kind ("ok", "unchargeable" for renewals the card
 * refuses, "chargeauth" for ones the bank wants to confirm), a 14-day trial, and their users row.
 * The subscription's state in our row is what the test says; `advance` moves Stripe's clock, and
 * the events Stripe sends meanwhile are kept in `events`.
 */
export async function subscriberOnClock(
  vendors: Vendors,
  { card = "ok", trialDays = 14 }: { card?: string; trialDays?: number } = {},
) {
  const stripe = billingClient()!;
  const events: Stripe.Event[] = [];
  vendors.stripe.onEvent = (event) => events.push(event);
  const email = `ada.${randomUUID().slice(0, 8)}@example.com`;
  const userId = vendors.clerk.addUser({
    email,
    first_name: "Ada",
    public_metadata: { onboardingComplete: true, tier: "pro", subscriptionStatus: "trialing" },
  }).id;
  const clock = await stripe.testHelpers.testClocks.create({
    frozen_time: Math.floor(Date.now() / 1000),
  });
  const customer = await stripe.customers.create({
    email,
    test_clock: clock.id,
    metadata: { clerk_user_id: userId },
  });
  const setupIntent = await stripe.setupIntents.create({
    customer: customer.id,
    confirm: true,
    confirmation_token: vendors.stripe.issueConfirmationToken(card),
  });
  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{ price: process.env.STRIPE_PRICE_PRO! }],
    default_payment_method: setupIntent.payment_method as string,
    ...(trialDays > 0 ? { trial_period_days: trialDays } : {}),
    metadata: { clerk_user_id: userId },
  });
  await (await getDb()).insert(users).values({
    clerkUserId: userId,
    email,
    firstName: "Ada",
    tier: "pro",
    stripeCustomerId: customer.id,
    stripeSubscriptionId: subscription.id,
    subscriptionStatus: subscription.status,
  });

  const frozen = () => vendors.stripe.testClocks.get(clock.id)!.frozen_time;
  return {
    userId,
    email,
    customerId: customer.id,
    subscriptionId: subscription.id,
    clockId: clock.id,
    events,
    frozen,
    /** Moves Stripe's clock `seconds` on, as `POST …/advance` does. */
    advance: (seconds: number) => vendors.stripe.advanceTestClock(clock.id, frozen() + seconds),
    subscription: () => vendors.stripe.subscriptions.get(subscription.id)!,
    latestInvoice: () =>
      vendors.stripe.invoices.get(
        vendors.stripe.subscriptions.get(subscription.id)!.latest_invoice as string,
      )!,
    /** The event Stripe sent last of `type`, as the Stripe route forwards it to Inngest. */
    forwarded(type: string) {
      const event = events.findLast((e) => e.type === type);
      if (!event) throw new Error(`Stripe sent no ${type}; it sent ${events.map((e) => e.type)}`);
      return { id: event.id, name: `stripe/${type}`, data: event.data.object };
    },
    row: async () =>
      (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0]!,
  };
}
