import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeDeletedUser } from "@/inngest/functions/close-deleted-user";
import { overdueInvoice, payOverdue } from "@/lib/billing/overdue";
import { resubscribe } from "@/lib/billing/resubscribe";
import { resumeSubscription } from "@/lib/billing/resume";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { AccountDeletedError } from "@/lib/errors";
import { markUserDeleted } from "@/lib/users";
import { billingClient } from "@/lib/vendors/stripe";
import { runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { DAY, HOUR, subscriberOnClock } from "@/test/support/subscriber-on-clock";

/**
 * What a user does about their plan from the dashboard, against Stripe's stand-in: resume a plan
 * cancelled at its period's end, pay an overdue renewal, subscribe again after a plan ended. Each
 * Stripe write: repeated, after a lost answer, and with the account deleted before and after.
 */
const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.clerk.violations).toEqual([]);
});

const posts = (path: string | RegExp) =>
  vendors.stripe.requests.filter(
    (r) => r.method === "POST" && (typeof path === "string" ? r.path === path : path.test(r.path)),
  );
const claims = (userId: string) => vendors.clerk.users.get(userId)!.public_metadata;
const subscriptionsOf = (customerId: string) =>
  [...vendors.stripe.subscriptions.values()].filter((s) => s.customer === customerId);

/** A subscriber whose plan was cancelled (in the portal) after its trial, as our row records it. */
async function cancelledSubscriber(card = "ok") {
  const subscriber = await subscriberOnClock(vendors, { card });
  subscriber.advance(14 * DAY + HOUR);
  vendors.stripe.updateSubscription(subscriber.subscriptionId, { status: "canceled" });
  await (
    await getDb()
  )
    .update(users)
    .set({ subscriptionStatus: "canceled" })
    .where(eq(users.clerkUserId, subscriber.userId));
  return subscriber;
}

describe("subscribing again", () => {
  it("on the same customer, charged now with the saved card: no second trial; our row and the session's claims follow at once", async () => {
    const { userId, customerId, row } = await cancelledSubscriber();
    const step = await resubscribe(userId, { tier: "enterprise", card: { saved: true } });

    expect(step).toEqual({ status: "succeeded" });
    const [, renewed] = subscriptionsOf(customerId);
    expect(renewed).toMatchObject({ status: "active", trial_end: null, customer: customerId });
    expect(vendors.stripe.invoices.get(renewed!.latest_invoice as string)).toMatchObject({
      status: "paid",
      amount_paid: 2000,
    });
    expect(posts("/v1/subscriptions").at(-1)!.body).not.toHaveProperty("trial_period_days");
    expect(await row()).toMatchObject({
      stripeSubscriptionId: renewed!.id,
      subscriptionStatus: "active",
      tier: "enterprise",
    });
    expect(claims(userId)).toMatchObject({ tier: "enterprise", subscriptionStatus: "active" });
  });

  it("a new card the bank wants to check: the browser passes the check, then the same subscription is paid", async () => {
    const { userId, customerId } = await cancelledSubscriber();
    const confirmationToken = vendors.stripe.issueConfirmationToken("chargeauth");
    const step = await resubscribe(userId, { tier: "pro", card: { confirmationToken } });

    expect(step).toMatchObject({
      status: "requires_action",
      clientSecret: expect.stringMatching(/^pi_/),
    });
    const paymentIntentId = (step as { clientSecret: string }).clientSecret.split("_secret_")[0]!;
    vendors.stripe.completePaymentIntentAction(paymentIntentId, "succeeded");
    expect(await resubscribe(userId, { tier: "pro", card: { saved: true } })).toEqual({
      status: "succeeded",
    });
    expect(subscriptionsOf(customerId).map((s) => s.status)).toEqual(["canceled", "active"]);
  });

  it("a refused card, then another: the same waiting subscription is paid, never a second", async () => {
    const { userId, customerId } = await cancelledSubscriber();
    const refused = await resubscribe(userId, {
      tier: "pro",
      card: { confirmationToken: vendors.stripe.issueConfirmationToken("unchargeable") },
    });
    expect(refused).toMatchObject({ status: "failed", reason: "Your card was declined." });
    expect(subscriptionsOf(customerId).map((s) => s.status)).toEqual(["canceled", "incomplete"]);

    const paid = await resubscribe(userId, {
      tier: "pro",
      card: { confirmationToken: vendors.stripe.issueConfirmationToken("ok") },
    });
    expect(paid).toEqual({ status: "succeeded" });
    expect(subscriptionsOf(customerId).map((s) => s.status)).toEqual(["canceled", "active"]);
  });

  it("a double submit and a lost answer make one subscription", async () => {
    const { userId, customerId } = await cancelledSubscriber();
    vendors.stripe.failNext("POST", "/v1/subscriptions", { status: 500, when: "lost" });
    const lost = resubscribe(userId, { tier: "pro", card: { saved: true } });
    await expect(lost).rejects.toThrow();
    const [again, twice] = await Promise.all([
      resubscribe(userId, { tier: "pro", card: { saved: true } }),
      resubscribe(userId, { tier: "pro", card: { saved: true } }),
    ]);
    expect([again, twice]).toEqual([{ status: "succeeded" }, { status: "succeeded" }]);
    expect(subscriptionsOf(customerId).map((s) => s.status)).toEqual(["canceled", "active"]);
  });

  it("a deleted account: nothing before; a subscription made just before the deletion is cancelled by it", async () => {
    const before = await cancelledSubscriber();
    await markUserDeleted(before.userId, new Date());
    const writes = vendors.stripe.requests.length;
    await expect(
      resubscribe(before.userId, { tier: "pro", card: { saved: true } }),
    ).rejects.toBeInstanceOf(AccountDeletedError);
    expect(vendors.stripe.requests.length).toBe(writes);

    const after = await cancelledSubscriber();
    await resubscribe(after.userId, { tier: "pro", card: { saved: true } });
    vendors.clerk.users.delete(after.userId);
    await runFunction(closeDeletedUser, {
      name: "clerk/user.deleted",
      data: { id: after.userId, object: "user", deleted: true },
    });
    expect(subscriptionsOf(after.customerId).map((s) => s.status)).toEqual([
      "canceled",
      "canceled",
    ]);
  });

  it("charges nothing while a plan still runs", async () => {
    const { userId, customerId } = await subscriberOnClock(vendors);
    const writes = posts(/./).length;
    expect(await resubscribe(userId, { tier: "pro", card: { saved: true } })).toEqual({
      status: "succeeded",
    });
    expect(posts(/./).length).toBe(writes);
    expect(subscriptionsOf(customerId).map((s) => s.status)).toEqual(["trialing"]);
  });
});

describe("resuming a plan cancelled at its period's end", () => {
  it("renews after all: Stripe, our row and the dashboard's date follow; resuming twice writes once", async () => {
    const { userId, subscriptionId, row } = await subscriberOnClock(vendors);
    const stripe = billingClient()!;
    await stripe.subscriptions.update(subscriptionId, { cancel_at_period_end: true });
    await (
      await getDb()
    )
      .update(users)
      .set({ cancelsAt: new Date() })
      .where(eq(users.clerkUserId, userId));

    await resumeSubscription(userId);
    await resumeSubscription(userId);

    expect(vendors.stripe.subscriptions.get(subscriptionId)!.cancel_at_period_end).toBe(false);
    expect(posts(`/v1/subscriptions/${subscriptionId}`).map((r) => r.body)).toEqual([
      { cancel_at_period_end: "true" },
      { cancel_at_period_end: "false" },
    ]);
    expect(await row()).toMatchObject({ cancelsAt: null, subscriptionStatus: "trialing" });
  });

  it("refuses a deleted account, writing nothing", async () => {
    const { userId, subscriptionId } = await subscriberOnClock(vendors);
    await markUserDeleted(userId, new Date());
    await expect(resumeSubscription(userId)).rejects.toBeInstanceOf(AccountDeletedError);
    expect(posts(`/v1/subscriptions/${subscriptionId}`)).toEqual([]);
  });
});

describe("paying an overdue renewal", () => {
  it("with a new card: the invoice is paid, the subscription active again, the claims too", async () => {
    const { userId, row, latestInvoice } = await subscriberOnClock(vendors, {
      card: "unchargeable",
    }).then((s) => (s.advance(14 * DAY + HOUR), s));
    await (
      await getDb()
    )
      .update(users)
      .set({ subscriptionStatus: "past_due" })
      .where(eq(users.clerkUserId, userId));
    expect(await overdueInvoice(userId)).toMatchObject({ amount: "$20.00", awaitingBank: null });

    const step = await payOverdue(userId, {
      card: { confirmationToken: vendors.stripe.issueConfirmationToken("ok") },
    });
    expect(step).toEqual({ status: "succeeded" });
    expect(latestInvoice().status).toBe("paid");
    expect(await row()).toMatchObject({ subscriptionStatus: "active" });
    expect(claims(userId)).toMatchObject({ subscriptionStatus: "active" });
    expect(await overdueInvoice(userId)).toBeNull();
  });

  it("waiting for the bank: the check passed in the browser, the payment is read and done", async () => {
    const subscriber = await subscriberOnClock(vendors, { card: "chargeauth" });
    subscriber.advance(14 * DAY + HOUR);
    const overdue = await overdueInvoice(subscriber.userId);
    expect(overdue?.awaitingBank).toMatch(/^pi_\w+_secret_/);

    vendors.stripe.completePaymentIntentAction(overdue!.awaitingBank!.split("_secret_")[0]!);
    expect(await payOverdue(subscriber.userId, { bankCheckDone: true })).toEqual({
      status: "succeeded",
    });
    expect(subscriber.subscription().status).toBe("active");
  });
});
