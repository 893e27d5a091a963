import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { closeDeletedUser } from "@/inngest/functions/close-deleted-user";
import { syncUser } from "@/inngest/functions/sync-user";
import { getDb } from "@/lib/db/client";
import { emails, users } from "@/lib/db/schema";
import { ownerMetadata } from "@/lib/billing/ownership";
import { liveStatuses } from "@/lib/billing/subscription-status";
import { recordOnboardingComplete } from "@/lib/onboarding/progress";
import { billingClient } from "@/lib/vendors/stripe";
import { InngestSim, runFunction } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";
import { contractPath } from "@onramp/standins/contracts";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => expect(vendors.stripe.violations).toEqual([]));

const pro = process.env.STRIPE_PRICE_PRO!;
const newUserId = () => `user_${randomUUID().replaceAll("-", "")}`;
const deletedAt = Date.parse("2026-03-01T12:00:00Z");

const sample = (file: string) =>
  JSON.parse(readFileSync(contractPath("clerk-webhooks", file), "utf8")).data;

/** Clerk's user.deleted sample for this user, as the webhook route forwards it. */
const userDeleted = (userId: string, ts = deletedAt) => ({
  id: `clerk-msg_${randomUUID()}`,
  name: "clerk/user.deleted",
  data: { ...sample("user.deleted.json"), id: userId },
  ts,
});

/** One delivery of user.deleted, run to its end with Inngest's retries. */
const deliver = (userId: string, ts = deletedAt) =>
  runFunction(closeDeletedUser, userDeleted(userId, ts));

const ours = (userId: string) => ownerMetadata({ key: "clerk_user_id", id: userId });

/** A signed-up user as provisioning and the drip leave them: a row, a customer, emails sent. */
async function signedUpUser(options: { recordCustomer?: boolean } = {}) {
  const userId = newUserId();
  const customer = vendors.stripe.createCustomer({
    email: "ada@example.com",
    name: "Ada Lovelace",
    metadata: ours(userId),
  });
  const db = await getDb();
  await db.insert(users).values({
    clerkUserId: userId,
    email: "ada@example.com",
    firstName: "Ada",
    lastName: "Lovelace",
    tier: "pro",
    stripeCustomerId: options.recordCustomer === false ? null : customer.id,
  });
  await db.insert(emails).values({
    clerkUserId: userId,
    kind: "welcome",
    to: "ada@example.com",
    from: "onramp <hello@onramp.test>",
    subject: "Welcome to onramp",
    html: "<p>Hi Ada</p>",
    transport: "resend",
    resendId: `re_${randomUUID()}`,
  });
  return { userId, customerId: customer.id };
}

/** A subscription without a trial whose first invoice the saved card paid, through Stripe's API. */
async function paidSubscription(customerId: string, userId: string) {
  const card = await billingClient()!.setupIntents.create({
    customer: customerId,
    confirmation_token: vendors.stripe.issueConfirmationToken(),
    confirm: true,
    usage: "off_session",
    return_url: "http://localhost:3000/after-sign-up",
  });
  return billingClient()!.subscriptions.create({
    customer: customerId,
    items: [{ price: pro }],
    default_payment_method: card.payment_method as string,
    metadata: ours(userId),
  });
}

const trial = (customerId: string, userId: string) =>
  vendors.stripe.createSubscription({
    customer: customerId,
    price: pro,
    trialDays: 14,
    metadata: { clerk_user_id: userId },
  });

const userRow = async (userId: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0];
const statusOf = (subscription: Stripe.Subscription) =>
  vendors.stripe.subscriptions.get(subscription.id)!.status;
const cancels = (status: number | "success" = "success") =>
  vendors.stripe.count("DELETE", /^\/v1\/subscriptions\//, { status });

describe("close-deleted-user", () => {
  it("cancels every live subscription at once, without proration or a final invoice, and keeps the customer, marked", async () => {
    const { userId, customerId } = await signedUpUser();
    const live = liveStatuses.map((status) =>
      vendors.stripe.createSubscription({ customer: customerId, price: pro, status }),
    );
    const ended = vendors.stripe.createSubscription({
      customer: customerId,
      price: pro,
      status: "canceled",
    });

    const run = await deliver(userId);

    expect(run.error).toBeUndefined();
    expect(run.result).toEqual({
      userId,
      customers: [customerId],
      canceled: expect.arrayContaining(live.map((s) => ({ id: s.id, status: "canceled" }))),
      refunded: [],
    });
    expect(live.map(statusOf)).toEqual(live.map(() => "canceled"));
    expect(cancels()).toBe(live.length);
    // Stripe ignores idempotency keys on DELETE; stripe-node sends its parameters in the query.
    const cancel = vendors.stripe.requests.find((r) => r.method === "DELETE")!;
    expect(cancel.query).toMatchObject({
      invoice_now: "false",
      prorate: "false",
      cancellation_details: { comment: `Clerk user ${userId} was deleted` },
    });
    expect(vendors.stripe.count("DELETE", `/v1/subscriptions/${ended.id}`)).toBe(0);
    // The trial never converts: nothing was invoiced, and the customer stays for the accounts.
    const customer = vendors.stripe.customers.get(customerId)!;
    expect(customer.metadata).toEqual({
      ...ours(userId),
      clerk_user_deleted_at: new Date(deletedAt).toISOString(),
    });
    expect(run.steps).toEqual([
      "mark-user-deleted",
      "erase-personal-data",
      "find-stripe-customers",
      "cancel-live-subscriptions",
      "refund-payments",
      "mark-stripe-customers",
    ]);
  });

  it("finds the customers Stripe holds for the Clerk user when our row never recorded one", async () => {
    const { userId, customerId } = await signedUpUser({ recordCustomer: false });
    // An earlier bug (or a run racing the deletion) left a second customer.
    const second = vendors.stripe.createCustomer({ metadata: ours(userId) });
    const first = trial(customerId, userId);
    const other = trial(second.id, userId);

    const { result } = await deliver(userId);

    expect(result).toMatchObject({ customers: [customerId, second.id] });
    expect([statusOf(first), statusOf(other)]).toEqual(["canceled", "canceled"]);
    expect(vendors.stripe.customers.get(second.id)!.metadata.clerk_user_deleted_at).toBeDefined();
  });

  it("refunds a first charge of a user who was never onboarded (it landed as the deletion did), once however often the event comes", async () => {
    const { userId, customerId } = await signedUpUser();
    const subscription = await paidSubscription(customerId, userId);
    expect(subscription.status).toBe("active");

    const runs = [await deliver(userId), await deliver(userId)];

    const [refund, ...more] = [...vendors.stripe.refunds.values()];
    expect(more).toEqual([]);
    expect(refund).toMatchObject({ amount: expect.any(Number), status: "succeeded" });
    expect(refund!.amount).toBeGreaterThan(0);
    expect(refund!.metadata).toEqual(ours(userId));
    expect(runs[0]!.result).toMatchObject({
      canceled: [{ id: subscription.id, status: "canceled" }],
      refunded: [{ amount: refund!.amount, currency: refund!.currency }],
    });
    expect(runs[1]!.result).toMatchObject({ canceled: [], refunded: [] });
  });

  it("keeps what an onboarded user paid before their deletion, and refunds what was paid after it", async () => {
    const before = await signedUpUser();
    await recordOnboardingComplete(before.userId);
    await paidSubscription(before.customerId, before.userId);
    expect((await deliver(before.userId, Date.now() + 3_600_000)).result).toMatchObject({
      refunded: [],
    });

    const after = await signedUpUser();
    await recordOnboardingComplete(after.userId);
    await paidSubscription(after.customerId, after.userId);
    const { result } = await deliver(after.userId, Date.now() - 3_600_000);
    expect(result).toMatchObject({ refunded: [{ amount: expect.any(Number) }] });
    expect(vendors.stripe.refunds.size).toBe(1);
  });

  it("leaves a tombstone for a user never seen, so a late user.created writes nothing", async () => {
    const userId = newUserId();
    const sim = new InngestSim({ functions: [closeDeletedUser, syncUser] });
    sim.send(userDeleted(userId));
    await sim.settle();
    const [created] = sim.send({
      name: "clerk/user.created",
      data: { ...sample("user.created.clerk-docs.json"), id: userId, updated_at: 1000 },
    });
    await sim.settle();

    expect(created!.result).toMatchObject({ outcome: expect.stringMatching(/deleted/) });
    expect(await userRow(userId)).toMatchObject({ email: null, deletedAt: new Date(deletedAt) });
    // Stripe was only asked whether it holds a customer for the user.
    expect(vendors.stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "GET /v1/customers/search",
    ]);
  });

  it("erases the user's personal data: email and names, stored email addresses and bodies; ids, kinds, plan and Stripe ids stay", async () => {
    const { userId, customerId } = await signedUpUser();
    const sim = new InngestSim({ functions: [closeDeletedUser, syncUser] });
    sim.send(userDeleted(userId));
    await sim.settle();
    // A late user.updated does not bring anything back.
    sim.send({
      name: "clerk/user.updated",
      data: { ...sample("user.updated.json"), id: userId, updated_at: Date.now() },
    });
    await sim.settle();

    expect(await userRow(userId)).toMatchObject({
      email: null,
      firstName: null,
      lastName: null,
      tier: "pro",
      stripeCustomerId: customerId,
      deletedAt: new Date(deletedAt),
    });
    const [receipt] = await (
      await getDb()
    )
      .select()
      .from(emails)
      .where(eq(emails.clerkUserId, userId));
    expect(receipt).toMatchObject({
      kind: "welcome",
      to: "",
      html: "",
      subject: "Welcome to onramp",
      resendId: expect.stringMatching(/^re_/),
    });
  });

  it("repeats nothing on redelivery, on a Stripe 5xx, or when Stripe's answer to a cancel or the mark is lost", async () => {
    const { userId, customerId } = await signedUpUser();
    const subscription = trial(customerId, userId);
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscription.id}`, { status: 500 });
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscription.id}`, {
      status: 500,
      when: "lost",
    });
    vendors.stripe.failNext("POST", `/v1/customers/${customerId}`, { status: 500, when: "lost" });

    for (let delivery = 0; delivery < 3; delivery++) {
      const run = await deliver(userId);
      expect(run.error).toBeUndefined();
    }

    expect(statusOf(subscription)).toBe("canceled");
    // The 5xx before Stripe acted, and the cancel whose answer was lost: Stripe cancelled once.
    expect(vendors.stripe.count("DELETE", /^\/v1\/subscriptions\//)).toBe(2);
    // Its mark written once, its answer lost; the retry and later runs read it and stop.
    expect(vendors.stripe.count("POST", `/v1/customers/${customerId}`)).toBe(1);
    expect(vendors.stripe.customers.get(customerId)!.metadata.clerk_user_deleted_at).toBe(
      new Date(deletedAt).toISOString(),
    );
    expect((await userRow(userId))!.deletedAt).toEqual(new Date(deletedAt));
  });

  it("does not fail when the subscription ended between its re-read and the cancel", async () => {
    const { userId, customerId } = await signedUpUser();
    const subscription = trial(customerId, userId);
    // Someone cancels it in the dashboard at that moment: Stripe acts, then refuses ours.
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscription.id}`, {
      status: 400,
      when: "after",
      body: {
        error: {
          type: "invalid_request_error",
          message: "A canceled subscription can only update its cancellation_details and metadata.",
        },
      },
    });

    const run = await deliver(userId);

    expect(run.error).toBeUndefined();
    expect(run.result).toMatchObject({ canceled: [{ id: subscription.id, status: "canceled" }] });
    expect(cancels(400)).toBe(1);
  });

  it("with billing off, closes a user without a customer, and fails naming the customer to cancel by hand for one with", async () => {
    const withCustomer = await signedUpUser();
    const withoutCustomer = await signedUpUser({ recordCustomer: false });
    vi.resetModules();
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    try {
      const { closeDeletedUser: withoutBilling } =
        await import("@/inngest/functions/close-deleted-user");
      const closed = await runFunction(withoutBilling, userDeleted(withoutCustomer.userId));
      expect(closed.error).toBeUndefined();
      const failed = await runFunction(withoutBilling, userDeleted(withCustomer.userId));
      expect(failed.error).toMatchObject({
        name: "NonRetriableError",
        message: `Billing is not configured on this server (STRIPE_SECRET_KEY): cancel the subscriptions of Stripe customer ${withCustomer.customerId} by hand`,
      });
      expect(vendors.stripe.requests).toEqual([]);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it("fails without retrying when user.deleted names no user", async () => {
    const { error } = await runFunction(closeDeletedUser, {
      name: "clerk/user.deleted",
      data: { deleted: true },
    });
    expect(error).toMatchObject({
      name: "NonRetriableError",
      message: expect.stringMatching(/no user id/),
    });
  });
});
