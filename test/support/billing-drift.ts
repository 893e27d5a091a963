import { randomUUID } from "node:crypto";
import type Stripe from "stripe";
import { environmentKey, ownerMetadata } from "@/lib/billing/ownership";
import type { Database } from "@/lib/db/client";
import { onboarding, orgs, users } from "@/lib/db/schema";
import type { ClerkStandIn, StripeStandIn } from "@onramp/standins/vitest";

const DAY = 86_400;
const pro = () => process.env.STRIPE_PRICE_PRO!;
const seat = () => process.env.STRIPE_PRICE_ENTERPRISE!;
const id = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "").slice(0, 20)}`;
const user = (userId: string) => ownerMetadata({ key: "clerk_user_id", id: userId });
const org = (orgId: string) => ownerMetadata({ key: "clerk_org_id", id: orgId });

/**
 * Books that went wrong the ways an incident leaves them: Stripe (the stand-in), Clerk and our
 * tables disagree in every way the reconciler looks for, next to an account that agrees, customers
 * of another product (no Clerk id) and of another deployment on the same Stripe account.
 */
export async function seedBillingDrift(
  vendors: { stripe: StripeStandIn; clerk: ClerkStandIn },
  db: Database,
  options: { otherCustomers?: number } = {},
) {
  const { stripe, clerk } = vendors;
  /** A user or org Clerk has. */
  const clerkUser = (publicMetadata: Record<string, unknown> = {}) =>
    clerk.addUser({ email: `${id("u")}@example.com`, public_metadata: publicMetadata }).id;
  const clerkOrg = () => clerk.addOrganization({ name: "Drift Org" }).id;
  /** The subscription as if made `days` ago (Stripe lists and keeps the older first). */
  const age = (subscription: Stripe.Subscription, days: number) => {
    stripe.subscriptions.get(subscription.id)!.created -= days * DAY;
    return subscription;
  };
  const trial = (customer: string, metadata: Record<string, string>, days = 1) =>
    age(stripe.createSubscription({ customer, price: pro(), trialDays: 14, metadata }), days);
  const trialEnd = (subscription: Stripe.Subscription) => new Date(subscription.trial_end! * 1000);
  const trialRow = (subscription: Stripe.Subscription) => ({
    tier: "pro",
    stripeSubscriptionId: subscription.id,
    subscriptionStatus: "trialing",
    trialEndsAt: trialEnd(subscription),
  });

  // A user deleted while their provisioning's last step was in flight: the trial kept going.
  const deletedUser = id("user");
  const deletedUserCustomer = stripe.createCustomer({ metadata: user(deletedUser) });
  const deletedUserTrial = trial(deletedUserCustomer.id, user(deletedUser));
  await db.insert(users).values({
    clerkUserId: deletedUser,
    stripeCustomerId: deletedUserCustomer.id,
    ...trialRow(deletedUserTrial),
    deletedAt: new Date(),
  });

  // An org deleted before it was set up, whose seats were paid on Checkout in its last second.
  const deletedOrg = id("org");
  const deletedOrgCustomer = stripe.createCustomer({ metadata: org(deletedOrg) });
  const deletedOrgSeats = stripe.createSubscription({
    customer: deletedOrgCustomer.id,
    price: seat(),
    quantity: 4,
    metadata: org(deletedOrg),
  });
  await db.insert(orgs).values({ clerkOrgId: deletedOrg, name: "", deletedAt: new Date() });

  // A user Clerk deleted whose user.deleted never arrived (Svix gave up): our row looks alive.
  const lostDeletion = id("user");
  const lostDeletionCustomer = stripe.createCustomer({ metadata: user(lostDeletion) });
  const lostDeletionTrial = trial(lostDeletionCustomer.id, user(lostDeletion));
  await db.insert(users).values({
    clerkUserId: lostDeletion,
    email: "gone@example.com",
    stripeCustomerId: lostDeletionCustomer.id,
    ...trialRow(lostDeletionTrial),
  });

  // A user Clerk has that our database never heard of (a restore from an older backup).
  const unknownUser = clerkUser({ onboardingComplete: true });
  const unknownCustomer = stripe.createCustomer({ metadata: user(unknownUser) });
  const unknownTrial = trial(unknownCustomer.id, user(unknownUser));

  // A sign-up whose provisioning failed for good, and whose trial was never cancelled.
  const failedOnboarding = clerkUser();
  const failedCustomer = stripe.createCustomer({ metadata: user(failedOnboarding) });
  const failedTrial = trial(failedCustomer.id, user(failedOnboarding));
  await db.insert(users).values({
    clerkUserId: failedOnboarding,
    stripeCustomerId: failedCustomer.id,
    ...trialRow(failedTrial),
  });
  await db.insert(onboarding).values({
    clerkUserId: failedOnboarding,
    state: "failed",
    reason: "Setting up your account failed after several attempts.",
  });

  // Two trials on one customer (a rerun before runs adopted the live one): the one Clerk's
  // metadata names stays, though our row recorded the other last.
  const twiceSubscribed = id("user");
  const twiceCustomer = stripe.createCustomer({ metadata: user(twiceSubscribed) });
  const olderTrial = trial(twiceCustomer.id, user(twiceSubscribed), 3);
  const namedTrial = trial(twiceCustomer.id, user(twiceSubscribed), 1);
  clerk.addUser({
    id: twiceSubscribed,
    public_metadata: { onboardingComplete: true, stripeSubscriptionId: namedTrial.id },
  });
  await db.insert(users).values({
    clerkUserId: twiceSubscribed,
    stripeCustomerId: twiceCustomer.id,
    ...trialRow(olderTrial),
  });

  // A user with an add-on made in Stripe's dashboard beside onramp's trial: not onramp's to judge.
  const withAddOn = clerkUser({ onboardingComplete: true });
  const addOnCustomer = stripe.createCustomer({ metadata: user(withAddOn) });
  const addOnTrial = trial(addOnCustomer.id, user(withAddOn), 2);
  const addOn = stripe.createSubscription({
    customer: addOnCustomer.id,
    price: stripe.addPrice({ id: id("price_addon") }).id,
  });
  await db.insert(users).values({
    clerkUserId: withAddOn,
    stripeCustomerId: addOnCustomer.id,
    ...trialRow(addOnTrial),
  });

  // Stripe events that never arrived: seats raised in the Portal, a trial that converted.
  const portalOrg = clerkOrg();
  const portalCustomer = stripe.createCustomer({ metadata: org(portalOrg) });
  const portalSeats = stripe.createSubscription({
    customer: portalCustomer.id,
    price: seat(),
    quantity: 3,
    metadata: org(portalOrg),
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

  const convertedUser = clerkUser({ onboardingComplete: true });
  const convertedCustomer = stripe.createCustomer({ metadata: user(convertedUser) });
  const converted = trial(convertedCustomer.id, user(convertedUser));
  await db.insert(users).values({
    clerkUserId: convertedUser,
    stripeCustomerId: convertedCustomer.id,
    ...trialRow(converted),
  });
  stripe.updateSubscription(converted.id, { status: "active" });

  // A second customer Stripe holds for a user (a lost row write before customers were searched).
  const twoCustomers = clerkUser();
  const recordedCustomer = stripe.createCustomer({ metadata: user(twoCustomers) });
  const strayCustomer = stripe.createCustomer({ metadata: user(twoCustomers) });
  await db
    .insert(users)
    .values({ clerkUserId: twoCustomers, stripeCustomerId: recordedCustomer.id });

  // An account whose books agree.
  const agreeing = clerkUser({ onboardingComplete: true });
  const agreeingCustomer = stripe.createCustomer({ metadata: user(agreeing) });
  const agreeingTrial = trial(agreeingCustomer.id, user(agreeing));
  await db.insert(users).values({
    clerkUserId: agreeing,
    stripeCustomerId: agreeingCustomer.id,
    ...trialRow(agreeingTrial),
  });

  // Another deployment on the same Stripe account (staging): its user is not in our Clerk.
  const stagingUser = id("user");
  const stagingMetadata = { ...user(stagingUser), [environmentKey]: "staging" };
  const stagingCustomer = stripe.createCustomer({ metadata: stagingMetadata });
  const stagingTrial = trial(stagingCustomer.id, stagingMetadata);

  // Another product on the same Stripe account: not ours to touch.
  const others = Array.from({ length: options.otherCustomers ?? 1 }, () => {
    const customer = stripe.createCustomer();
    return stripe.createSubscription({ customer: customer.id, price: pro() });
  });

  return {
    deletedUser: { userId: deletedUser, subscription: deletedUserTrial.id },
    deletedOrg: { orgId: deletedOrg, subscription: deletedOrgSeats.id },
    lostDeletion: {
      userId: lostDeletion,
      customerId: lostDeletionCustomer.id,
      subscription: lostDeletionTrial.id,
    },
    unknownUser: {
      userId: unknownUser,
      customerId: unknownCustomer.id,
      subscription: unknownTrial.id,
    },
    failedOnboarding: { userId: failedOnboarding, subscription: failedTrial.id },
    twiceSubscribed: { userId: twiceSubscribed, kept: namedTrial.id, other: olderTrial.id },
    withAddOn: { userId: withAddOn, trial: addOnTrial.id, addOn: addOn.id },
    portalOrg: { orgId: portalOrg, subscription: portalSeats.id },
    convertedUser: { userId: convertedUser, subscription: converted.id },
    twoCustomers: { userId: twoCustomers, stray: strayCustomer.id },
    agreeing: { userId: agreeing, subscription: agreeingTrial.id },
    staging: { customerId: stagingCustomer.id, subscription: stagingTrial.id },
    others: others.map((subscription) => subscription.id),
  };
}
