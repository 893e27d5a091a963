import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import type { Database } from "@/lib/db/client";
import { orgs, users } from "@/lib/db/schema";
import type { StripeStandIn } from "@onramp/standins/vitest";

const DAY = 86_400;
const pro = () => process.env.STRIPE_PRICE_PRO!;
const seat = () => process.env.STRIPE_PRICE_ENTERPRISE!;
const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 20)}`;

/**
 * Books that went wrong the ways an incident leaves them: Stripe (the stand-in) and our tables
 * disagree in every way the reconciler looks for, next to an account that agrees and customers of
 * another product (no Clerk id) on the same Stripe account.
 */
export async function seedBillingDrift(
  stripe: StripeStandIn,
  db: Database,
  options: { otherCustomers?: number } = {},
) {
  /** The subscription as if made `days` ago (Stripe lists and keeps the older first). */
  const age = (subscription: Stripe.Subscription, days: number) => {
    stripe.subscriptions.get(subscription.id)!.created -= days * DAY;
    return subscription;
  };
  const trial = (customer: string, metadata: Record<string, string>, days = 1) =>
    age(stripe.createSubscription({ customer, price: pro(), trialDays: 14, metadata }), days);
  const trialEnd = (subscription: Stripe.Subscription) => new Date(subscription.trial_end! * 1000);

  // A user deleted while their provisioning's last step was in flight: the trial kept going.
  const deletedUser = id("user");
  const deletedUserCustomer = stripe.createCustomer({ metadata: { clerk_user_id: deletedUser } });
  const deletedUserTrial = trial(deletedUserCustomer.id, { clerk_user_id: deletedUser });
  await db.insert(users).values({
    clerkUserId: deletedUser,
    tier: "pro",
    stripeCustomerId: deletedUserCustomer.id,
    stripeSubscriptionId: deletedUserTrial.id,
    subscriptionStatus: "trialing",
    trialEndsAt: trialEnd(deletedUserTrial),
    deletedAt: new Date(),
  });

  // An org deleted before it was set up, whose seats were paid on Checkout in its last second.
  const deletedOrg = id("org");
  const deletedOrgCustomer = stripe.createCustomer({ metadata: { clerk_org_id: deletedOrg } });
  const deletedOrgSeats = stripe.createSubscription({
    customer: deletedOrgCustomer.id,
    price: seat(),
    quantity: 4,
    metadata: { clerk_org_id: deletedOrg },
  });
  await db.insert(orgs).values({ clerkOrgId: deletedOrg, name: "", deletedAt: new Date() });

  // A customer for a user our database never heard of (a restore from an older backup).
  const unknownUser = id("user");
  const unknownCustomer = stripe.createCustomer({ metadata: { clerk_user_id: unknownUser } });
  const unknownTrial = trial(unknownCustomer.id, { clerk_user_id: unknownUser });

  // Two trials on one customer (a rerun before runs adopted the live one): the newer goes.
  const twiceSubscribed = id("user");
  const twiceCustomer = stripe.createCustomer({ metadata: { clerk_user_id: twiceSubscribed } });
  const firstTrial = trial(twiceCustomer.id, { clerk_user_id: twiceSubscribed }, 3);
  const secondTrial = trial(twiceCustomer.id, { clerk_user_id: twiceSubscribed }, 1);
  await db.insert(users).values({
    clerkUserId: twiceSubscribed,
    tier: "pro",
    stripeCustomerId: twiceCustomer.id,
    stripeSubscriptionId: firstTrial.id,
    subscriptionStatus: "trialing",
    trialEndsAt: trialEnd(firstTrial),
  });

  // Stripe events that never arrived: seats raised in the Portal, a trial that converted.
  const portalOrg = id("org");
  const portalCustomer = stripe.createCustomer({ metadata: { clerk_org_id: portalOrg } });
  const portalSeats = stripe.createSubscription({
    customer: portalCustomer.id,
    price: seat(),
    quantity: 3,
    metadata: { clerk_org_id: portalOrg },
  });
  await db.insert(orgs).values({
    clerkOrgId: portalOrg,
    name: "Portal Org",
    stripeCustomerId: portalCustomer.id,
    stripeSubscriptionId: portalSeats.id,
    subscriptionStatus: "active",
    purchasedSeats: 3,
  });
  stripe.updateSubscription(portalSeats.id, { quantity: 5 });

  const convertedUser = id("user");
  const convertedCustomer = stripe.createCustomer({ metadata: { clerk_user_id: convertedUser } });
  const converted = trial(convertedCustomer.id, { clerk_user_id: convertedUser });
  await db.insert(users).values({
    clerkUserId: convertedUser,
    tier: "pro",
    stripeCustomerId: convertedCustomer.id,
    stripeSubscriptionId: converted.id,
    subscriptionStatus: "trialing",
    trialEndsAt: trialEnd(converted),
  });
  stripe.updateSubscription(converted.id, { status: "active" });

  // A second customer Stripe holds for a user (a lost row write before customers were searched).
  const twoCustomers = id("user");
  const recordedCustomer = stripe.createCustomer({ metadata: { clerk_user_id: twoCustomers } });
  const strayCustomer = stripe.createCustomer({ metadata: { clerk_user_id: twoCustomers } });
  await db
    .insert(users)
    .values({ clerkUserId: twoCustomers, stripeCustomerId: recordedCustomer.id });

  // An account whose books agree.
  const agreeing = id("user");
  const agreeingCustomer = stripe.createCustomer({ metadata: { clerk_user_id: agreeing } });
  const agreeingTrial = trial(agreeingCustomer.id, { clerk_user_id: agreeing });
  await db.insert(users).values({
    clerkUserId: agreeing,
    tier: "pro",
    stripeCustomerId: agreeingCustomer.id,
    stripeSubscriptionId: agreeingTrial.id,
    subscriptionStatus: "trialing",
    trialEndsAt: trialEnd(agreeingTrial),
  });

  // Another product on the same Stripe account: not ours to touch.
  const others = Array.from({ length: options.otherCustomers ?? 1 }, () => {
    const customer = stripe.createCustomer();
    return stripe.createSubscription({ customer: customer.id, price: pro() });
  });

  return {
    deletedUser: { userId: deletedUser, subscription: deletedUserTrial.id },
    deletedOrg: { orgId: deletedOrg, subscription: deletedOrgSeats.id },
    unknownUser: { userId: unknownUser, subscription: unknownTrial.id },
    twiceSubscribed: { userId: twiceSubscribed, kept: firstTrial.id, newer: secondTrial.id },
    portalOrg: { orgId: portalOrg, subscription: portalSeats.id },
    convertedUser: { userId: convertedUser, subscription: converted.id },
    twoCustomers: { userId: twoCustomers, stray: strayCustomer.id },
    agreeing: { userId: agreeing, subscription: agreeingTrial.id },
    others: others.map((subscription) => subscription.id),
  };
}
