import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { syncSubscription } from "@/inngest/functions/sync-subscription";
import { environmentKey } from "@/lib/billing/ownership";
import { getDb } from "@/lib/db/client";
import { orgs, users } from "@/lib/db/schema";
import { InngestSim, runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => expect(vendors.stripe.violations).toEqual([]));

const pro = process.env.STRIPE_PRICE_PRO!;
const enterprise = process.env.STRIPE_PRICE_ENTERPRISE!;
const unique = (prefix: string) => `${prefix}_${randomUUID().replaceAll("-", "")}`;

type EventType = "created" | "updated" | "deleted";
/** The event as the Stripe route forwards it: the subscription object as Stripe sent it then. */
const deliver = (type: EventType, subscription: Stripe.Subscription) =>
  runFunction(syncSubscription, {
    name: `stripe/customer.subscription.${type}`,
    data: structuredClone(subscription),
  });

async function userWithCustomer() {
  const customer = vendors.stripe.createCustomer();
  const clerkUserId = unique("user");
  const db = await getDb();
  await db.insert(users).values({ clerkUserId, stripeCustomerId: customer.id, tier: "pro" });
  return { clerkUserId, customerId: customer.id };
}

/** A user whose deletion has been processed (their tombstone), with their customer. */
async function deletedUserWithCustomer() {
  const user = await userWithCustomer();
  const db = await getDb();
  await db
    .update(users)
    .set({ deletedAt: new Date() })
    .where(eq(users.clerkUserId, user.clerkUserId));
  return user;
}

async function orgWithCustomer() {
  const customer = vendors.stripe.createCustomer();
  const clerkOrgId = unique("org");
  const db = await getDb();
  await db.insert(orgs).values({ clerkOrgId, name: "Acme", stripeCustomerId: customer.id });
  return { clerkOrgId, customerId: customer.id };
}

const userRow = async (id: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, id)))[0];
const orgRow = async (id: string) =>
  (await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, id)))[0];

describe("sync-subscription", () => {
  it("fails without retrying on a server without billing, which cannot re-fetch the subscription", async () => {
    const { clerkUserId, customerId } = await userWithCustomer();
    const subscription = vendors.stripe.createSubscription({ customer: customerId, price: pro });
    vi.resetModules();
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    try {
      const { syncSubscription: withoutBilling } =
        await import("@/inngest/functions/sync-subscription");
      const { error } = await runFunction(withoutBilling, {
        name: "stripe/customer.subscription.created",
        data: structuredClone(subscription),
      });
      expect(error).toMatchObject({
        name: "NonRetriableError",
        message: "Billing is not configured on this server (STRIPE_SECRET_KEY).",
      });
      expect(vendors.stripe.requests).toEqual([]);
      expect(await userRow(clerkUserId)).toMatchObject({ stripeSubscriptionId: null });
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it("writes a user's trial subscription: status, tier and trial end", async () => {
    const { clerkUserId, customerId } = await userWithCustomer();
    const subscription = vendors.stripe.createSubscription({
      customer: customerId,
      price: pro,
      trialDays: 14,
    });

    const { result, error } = await deliver("created", subscription);

    expect(error).toBeUndefined();
    expect(result).toMatchObject({
      appliedTo: { userId: clerkUserId },
      status: "trialing",
      tier: "pro",
    });
    expect(await userRow(clerkUserId)).toMatchObject({
      stripeSubscriptionId: subscription.id,
      subscriptionStatus: "trialing",
      tier: "pro",
      trialEndsAt: new Date(subscription.trial_end! * 1000),
    });
    expect(vendors.stripe.count("GET", `/v1/subscriptions/${subscription.id}`)).toBe(1);
  });

  it("writes an org's seats from the item quantity, re-fetched rather than taken from the event", async () => {
    const { clerkOrgId, customerId } = await orgWithCustomer();
    // The stand-in hands out its live object; the event carries a snapshot.
    const asSent = structuredClone(
      vendors.stripe.createSubscription({
        customer: customerId,
        price: enterprise,
        quantity: 5,
      }),
    );
    // By the time the (older) event is handled, Stripe already has 8 seats.
    vendors.stripe.updateSubscription(asSent.id, { quantity: 8 });

    const { result } = await deliver("created", asSent);

    expect(asSent.items.data[0]!.quantity).toBe(5);
    expect(result).toMatchObject({
      appliedTo: { orgId: clerkOrgId },
      seats: 8,
      tier: "enterprise",
    });
    expect(await orgRow(clerkOrgId)).toMatchObject({
      stripeSubscriptionId: asSent.id,
      subscriptionStatus: "active",
      purchasedSeats: 8,
    });
  });

  it("applies events in any order: the last run writes what Stripe says now", async () => {
    const { clerkOrgId, customerId } = await orgWithCustomer();
    const created = structuredClone(
      vendors.stripe.createSubscription({
        customer: customerId,
        price: enterprise,
        quantity: 2,
      }),
    );
    const updated = vendors.stripe.updateSubscription(created.id, { quantity: 6 });

    await deliver("updated", updated);
    await deliver("created", created); // delivered late

    expect(await orgRow(clerkOrgId)).toMatchObject({ purchasedSeats: 6 });
  });

  it("sets seats to 0 and the status to canceled when the subscription ends", async () => {
    const { clerkOrgId, customerId } = await orgWithCustomer();
    const subscription = vendors.stripe.createSubscription({
      customer: customerId,
      price: enterprise,
      quantity: 4,
    });
    await deliver("created", subscription);
    const canceled = vendors.stripe.updateSubscription(subscription.id, { status: "canceled" });

    await deliver("deleted", canceled);

    expect(await orgRow(clerkOrgId)).toMatchObject({
      subscriptionStatus: "canceled",
      purchasedSeats: 0,
    });
  });

  it("does not let a late cancellation of an old subscription overwrite its successor", async () => {
    const { clerkOrgId, customerId } = await orgWithCustomer();
    const old = vendors.stripe.createSubscription({
      customer: customerId,
      price: enterprise,
      quantity: 1,
    });
    const successor = vendors.stripe.createSubscription({
      customer: customerId,
      price: enterprise,
      quantity: 9,
    });
    await deliver("created", successor);
    const oldCanceled = vendors.stripe.updateSubscription(old.id, { status: "canceled" });

    const { result } = await deliver("deleted", oldCanceled);

    expect(result).toMatchObject({ skipped: expect.any(String) });
    expect(await orgRow(clerkOrgId)).toMatchObject({
      stripeSubscriptionId: successor.id,
      subscriptionStatus: "active",
      purchasedSeats: 9,
    });
  });

  it("keeps the user's tier when the price is not in the catalogue", async () => {
    const { clerkUserId, customerId } = await userWithCustomer();
    const subscription = vendors.stripe.createSubscription({
      customer: customerId,
      price: "price_legacy_plan",
    });
    const { result } = await deliver("updated", subscription);
    expect(result).toMatchObject({ tier: null });
    expect(await userRow(clerkUserId)).toMatchObject({ tier: "pro", subscriptionStatus: "active" });
  });

  it("ends cleanly, with the reason, for a customer no user or org has", async () => {
    const stranger = vendors.stripe.createCustomer();
    const subscription = vendors.stripe.createSubscription({ customer: stranger.id });
    const { result, error } = await deliver("created", subscription);
    expect(error).toBeUndefined();
    expect(result).toEqual({
      subscriptionId: subscription.id,
      skipped: expect.stringContaining(stranger.id),
    });
  });

  it("fails without retrying when Stripe does not know the subscription", async () => {
    const { customerId } = await userWithCustomer();
    const subscription = vendors.stripe.createSubscription({ customer: customerId });
    vendors.stripe.subscriptions.delete(subscription.id);
    const { error } = await deliver("updated", subscription);
    // Our words as the run's error; Stripe's travel in its cause (test/routes/security.test.ts).
    expect(error).toMatchObject({
      name: "NonRetriableError",
      message:
        "Something our payment provider needs for your account is missing. Please contact support.",
    });
  });

  it("fails with a retriable error when Stripe has a transient failure", async () => {
    const { clerkUserId, customerId } = await userWithCustomer();
    const subscription = vendors.stripe.createSubscription({ customer: customerId });
    vendors.stripe.failNext("GET", /^\/v1\/subscriptions\//, { status: 503 });
    const sim = new InngestSim({ functions: [syncSubscription] });
    const run = sim.start(syncSubscription, {
      name: "stripe/customer.subscription.updated",
      data: structuredClone(subscription),
    });

    await sim.until(() => run.retries.length === 1);
    const [error] = run.failures;
    expect(error).toBeDefined();
    expect(error).not.toMatchObject({ name: "NonRetriableError" });
    expect(await userRow(clerkUserId)).toMatchObject({ subscriptionStatus: null });
    // Inngest's retry then writes what Stripe says.
    await sim.settle();
    expect(run.error).toBeUndefined();
    expect(await userRow(clerkUserId)).toMatchObject({ subscriptionStatus: subscription.status });
  });
});

describe("sync-subscription: a live subscription of a deleted account", () => {
  const cancels = (id: string) => vendors.stripe.count("DELETE", `/v1/subscriptions/${id}`);

  it("is cancelled on sight, once however often its events come, and the row records its end", async () => {
    // The deletion was processed while provisioning's last step was in flight: it slipped past.
    const { clerkUserId, customerId } = await deletedUserWithCustomer();
    const subscription = vendors.stripe.createSubscription({
      customer: customerId,
      price: pro,
      trialDays: 14,
      metadata: { clerk_user_id: clerkUserId },
    });
    // Stripe's answer to the cancel is lost: the retry re-reads it and finds it ended.
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscription.id}`, {
      status: 500,
      when: "lost",
    });

    const first = await deliver("created", subscription);
    const again = await deliver("created", subscription);
    const updated = await deliver("updated", subscription);

    expect(first.error).toBeUndefined();
    expect(first.result).toMatchObject({
      appliedTo: { userId: clerkUserId },
      status: "canceled",
      deletedOwner: `user ${clerkUserId}`,
    });
    expect(first.steps).toEqual([
      "refetch-and-save-subscription",
      "cancel-subscription-of-deleted-account",
      "refund-payments-after-deletion",
      "save-canceled-subscription",
    ]);
    expect([again.result, updated.result]).toMatchObject([
      { status: "canceled" },
      { status: "canceled" },
    ]);
    expect(vendors.stripe.subscriptions.get(subscription.id)!.status).toBe("canceled");
    expect(cancels(subscription.id)).toBe(1);
    expect(vendors.stripe.requests.find((r) => r.method === "DELETE")!.query).toMatchObject({
      invoice_now: "false",
      prorate: "false",
      cancellation_details: { comment: `Clerk user ${clerkUserId} was deleted` },
    });
    expect(await userRow(clerkUserId)).toMatchObject({
      stripeSubscriptionId: subscription.id,
      subscriptionStatus: "canceled",
    });
  });

  it("is cancelled when its metadata names a deleted org that no row links to the customer", async () => {
    // A Checkout paid in the org's last second; the org's row is only a tombstone.
    const clerkOrgId = unique("org");
    await (await getDb()).insert(orgs).values({ clerkOrgId, name: "", deletedAt: new Date() });
    const customer = vendors.stripe.createCustomer({ metadata: { clerk_org_id: clerkOrgId } });
    const subscription = vendors.stripe.createSubscription({
      customer: customer.id,
      price: enterprise,
      quantity: 3,
      metadata: { clerk_org_id: clerkOrgId },
    });

    const { result, error } = await deliver("created", subscription);

    expect(error).toBeUndefined();
    expect(result).toEqual({
      subscriptionId: subscription.id,
      skipped: expect.stringContaining(customer.id),
      deletedOwner: `organization ${clerkOrgId}`,
      status: "canceled",
    });
    expect(cancels(subscription.id)).toBe(1);
  });

  it("is another deployment's to handle when another deployment made it (one Stripe account, two environments): nothing is written or cancelled", async () => {
    const { clerkUserId, customerId } = await deletedUserWithCustomer();
    // Staging's subscription for a user id that happens to be deleted here.
    const staging = vendors.stripe.createSubscription({
      customer: customerId,
      price: pro,
      trialDays: 14,
      metadata: { clerk_user_id: clerkUserId, [environmentKey]: "staging" },
    });

    const { result, error } = await deliver("created", staging);

    expect(error).toBeUndefined();
    expect(result).toEqual({
      subscriptionId: staging.id,
      skipped: "made by another deployment (its onramp_environment)",
    });
    expect(cancels(staging.id)).toBe(0);
    expect(await userRow(clerkUserId)).toMatchObject({ stripeSubscriptionId: null });
  });

  it("is left alone while its owner lives, and an ended one of a deleted owner is only recorded", async () => {
    const { clerkOrgId, customerId } = await orgWithCustomer();
    const subscription = vendors.stripe.createSubscription({
      customer: customerId,
      price: enterprise,
      metadata: { clerk_org_id: clerkOrgId },
    });
    await deliver("created", subscription);
    expect(cancels(subscription.id)).toBe(0);

    // close-deleted-organization cancelled it; its deletion event comes after.
    await (
      await getDb()
    )
      .update(orgs)
      .set({ deletedAt: new Date() })
      .where(eq(orgs.clerkOrgId, clerkOrgId));
    const canceled = vendors.stripe.updateSubscription(subscription.id, { status: "canceled" });
    const { result } = await deliver("deleted", canceled);

    expect(result).toMatchObject({ appliedTo: { orgId: clerkOrgId }, status: "canceled" });
    expect(cancels(subscription.id)).toBe(0);
    expect(await orgRow(clerkOrgId)).toMatchObject({
      subscriptionStatus: "canceled",
      purchasedSeats: 0,
    });
  });
});
