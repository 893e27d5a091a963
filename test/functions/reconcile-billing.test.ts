import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { reconcileBilling } from "@/inngest/functions/reconcile-billing";
import { reconcilePage, type ReconcileOptions } from "@/lib/billing/reconcile";
import {
  addPage,
  booksAreStraight,
  emptySummary,
  formatSummary,
  type ReconcileSummary,
} from "@/lib/billing/reconcile-report";
import { getDb } from "@/lib/db/client";
import { ownerMetadata } from "@/lib/billing/ownership";
import { onboarding, orgs, users } from "@/lib/db/schema";
import { billingClient } from "@/lib/vendors/stripe";
import { seedBillingDrift } from "@/test/support/billing-drift";
import { InngestSim, type Faults } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => expect(vendors.stripe.violations).toEqual([]));

/** One scheduled reconciliation, as Inngest starts it at RECONCILE_CRON, run to its end. */
async function scheduledRun(faults?: Faults) {
  const sim = new InngestSim({ functions: [reconcileBilling], faults });
  const run = sim.start(reconcileBilling, { name: "inngest/scheduled.timer", data: {} });
  await sim.settle();
  return run;
}

/** Every page, as `npm run reconcile` goes through them. */
async function reconcileAll(options: Partial<ReconcileOptions> = {}) {
  let summary = emptySummary(options.apply ?? false);
  let cursor: string | null = null;
  do {
    const page = await reconcilePage(billingClient()!, cursor, {
      apply: false,
      pageSize: 100,
      pace: async () => {},
      clerkPace: async () => {},
      ...options,
    });
    summary = addPage(summary, page);
    cursor = page.stopped ? null : page.next;
  } while (cursor);
  return summary;
}

/** Every finding as "kind outcome count". */
const tally = (summary: ReconcileSummary) =>
  Object.entries(summary.counts).flatMap(([kind, counts]) =>
    Object.entries(counts).flatMap(([outcome, n]) => (n ? [`${kind} ${outcome} ${n}`] : [])),
  );

const status = (subscriptionId: string) => vendors.stripe.subscriptions.get(subscriptionId)!.status;
const userRow = async (userId: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0]!;
const orgRow = async (orgId: string) =>
  (await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, orgId)))[0]!;
const count = (summary: ReconcileSummary, kind: keyof ReconcileSummary["counts"]) =>
  summary.counts[kind];

describe("billing reconciler", () => {
  it("a dry run finds every drift, says what it would do, and changes nothing", async () => {
    const drift = await seedBillingDrift(vendors, await getDb());

    const summary = await reconcileAll();
    console.log(formatSummary(summary));

    // Another product's customer and another deployment's are not compared.
    expect(summary).toMatchObject({ customers: 14, compared: 12, pages: 1, stopped: null });
    expect(tally(summary)).toEqual([
      "live-subscription-of-deleted-account planned 2",
      "account-deleted-in-clerk planned 1",
      "account-missing-from-our-tables planned 1",
      "live-subscription-without-onboarding held 1",
      "several-live-subscriptions planned 1",
      // The rows of what is cancelled, the rows Stripe's lost events left stale, and the row that
      // recorded the wrong one of two subscriptions.
      "row-differs-from-stripe planned 5",
      "several-customers-for-account reported 1",
    ]);
    expect(summary.details).toContainEqual(
      expect.objectContaining({
        kind: "row-differs-from-stripe",
        account: `organization ${drift.portalOrg.orgId}`,
        detail: "seats 3 → 5",
      }),
    );
    expect(booksAreStraight(summary)).toBe(false);
    // Nothing was written: only reads reached Stripe.
    expect(vendors.stripe.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(status(drift.deletedUser.subscription)).toBe("trialing");
    expect(await orgRow(drift.portalOrg.orgId)).toMatchObject({ purchasedSeats: 3 });
  });

  it("the scheduled run repairs page by page, never cancels an account Clerk has, and a second run finds only what is left for a person", async () => {
    // 120 customers of another product: two pages of 100.
    const drift = await seedBillingDrift(vendors, await getDb(), { otherCustomers: 120 });

    const run = await scheduledRun();

    expect(run.error).toBeUndefined();
    expect(run.steps).toEqual(["reconcile-page-1", "reconcile-page-2"]);
    const summary = run.result as ReconcileSummary;
    console.log(formatSummary(summary));
    expect(summary).toMatchObject({ applied: true, pages: 2, customers: 133, compared: 12 });
    expect(tally(summary)).toEqual([
      "live-subscription-of-deleted-account done 2",
      "account-deleted-in-clerk done 1",
      "account-missing-from-our-tables done 1",
      "live-subscription-without-onboarding held 1",
      "several-live-subscriptions done 1",
      "row-differs-from-stripe done 5",
      "several-customers-for-account reported 1",
    ]);

    expect(status(drift.deletedUser.subscription)).toBe("canceled");
    expect(status(drift.deletedOrg.subscription)).toBe("canceled");
    // A failed onboarding's trial: Clerk still has the account, so a person decides.
    expect(status(drift.failedOnboarding.subscription)).toBe("trialing");
    // The one Clerk's metadata names stays, though our row recorded the other.
    expect(status(drift.twiceSubscribed.other)).toBe("canceled");
    expect(status(drift.twiceSubscribed.kept)).toBe("trialing");
    // Clerk has the user our tables lacked: repaired, never cancelled.
    expect(status(drift.unknownUser.subscription)).toBe("trialing");
    expect(await userRow(drift.unknownUser.userId)).toMatchObject({
      email: expect.stringMatching(/@example\.com$/),
      stripeCustomerId: drift.unknownUser.customerId,
      stripeSubscriptionId: drift.unknownUser.subscription,
      subscriptionStatus: "trialing",
      tier: "pro",
    });
    // A user.deleted that never arrived: closed as it would have been.
    expect(status(drift.lostDeletion.subscription)).toBe("canceled");
    expect(await userRow(drift.lostDeletion.userId)).toMatchObject({
      deletedAt: expect.any(Date),
      email: null,
    });
    expect(
      vendors.stripe.customers.get(drift.lostDeletion.customerId)!.metadata.clerk_user_deleted_at,
    ).toBeDefined();
    // Not onramp's, or not this deployment's: left alone.
    expect(status(drift.withAddOn.addOn)).toBe("active");
    expect(status(drift.withAddOn.trial)).toBe("trialing");
    expect(status(drift.staging.subscription)).toBe("trialing");
    expect(status(drift.agreeing.subscription)).toBe("trialing");
    expect(drift.others.map(status)).toEqual(drift.others.map(() => "active"));
    const cancel = vendors.stripe.requests.find((r) => r.method === "DELETE")!;
    expect(cancel.query).toMatchObject({ invoice_now: "false", prorate: "false" });
    expect(await userRow(drift.deletedUser.userId)).toMatchObject({
      subscriptionStatus: "canceled",
    });
    expect(await orgRow(drift.portalOrg.orgId)).toMatchObject({ purchasedSeats: 5 });
    expect(await userRow(drift.convertedUser.userId)).toMatchObject({
      subscriptionStatus: "active",
      trialEndsAt: new Date(
        vendors.stripe.subscriptions.get(drift.convertedUser.subscription)!.trial_end! * 1000,
      ),
    });
    expect(await userRow(drift.twiceSubscribed.userId)).toMatchObject({
      stripeSubscriptionId: drift.twiceSubscribed.kept,
    });

    const writes = vendors.stripe.requests.filter((r) => r.method !== "GET").length;
    const again = (await scheduledRun()).result as ReconcileSummary;

    // Only what is left for a person: the failed onboarding's trial, the second customer.
    expect(vendors.stripe.requests.filter((r) => r.method !== "GET")).toHaveLength(writes);
    expect(tally(again)).toEqual([
      "live-subscription-without-onboarding held 1",
      "several-customers-for-account reported 1",
    ]);
    // Clerk was asked in batches: one list of users (with its count) and one of orgs a page.
    expect(vendors.clerk.count("GET", "/v1/users")).toBeLessThanOrEqual(4);
    expect(vendors.clerk.violations).toEqual([]);
  });

  it("stops before closing anything when Clerk has none of the accounts (a key of another Clerk instance), saying why", async () => {
    const drift = await seedBillingDrift(vendors, await getDb());
    vendors.clerk.users.clear();
    vendors.clerk.organizations.clear();

    const summary = await reconcileAll({ apply: true });
    console.log(formatSummary(summary));

    expect(summary.stopped).toMatch(
      /Is CLERK_SECRET_KEY the key of this deployment's Clerk instance/,
    );
    // One finding a live subscription: two accounts have two.
    expect(count(summary, "account-deleted-in-clerk")).toMatchObject({ held: 10, done: 0 });
    expect(formatSummary(summary)).toMatch(/Stopped after page 1: Clerk has none of 8 of the 8/);
    for (const subscription of [
      drift.unknownUser.subscription,
      drift.agreeing.subscription,
      drift.lostDeletion.subscription,
      drift.withAddOn.trial,
    ]) {
      expect(status(subscription)).not.toBe("canceled");
    }
    expect(booksAreStraight(summary)).toBe(false);
  });

  it("resumes at the page it was on when Stripe fails: pages done are not done again", async () => {
    await seedBillingDrift(vendors, await getDb(), { otherCustomers: 120 });
    // Stripe fails to list the second page once.
    let listed = 0;
    vendors.server.events.on("request:start", ({ request }) => {
      if (new URL(request.url).pathname !== "/v1/customers") return;
      listed += 1;
      if (listed === 2) vendors.stripe.failNext("GET", "/v1/customers", { status: 500 });
    });

    const run = await scheduledRun();
    vendors.server.events.removeAllListeners();

    expect(run.error).toBeUndefined();
    expect(run.steps).toEqual(["reconcile-page-1", "reconcile-page-2"]);
    expect(run.retries.map((retry) => retry.step)).toEqual(["reconcile-page-2"]);
    // The first page once, the second twice (its retry); each compared customer's subscriptions
    // listed once, and again after the repairs of the five that had some.
    expect(listed).toBe(3);
    expect(vendors.stripe.count("GET", "/v1/subscriptions")).toBe(12 + 5);
  });

  it("repeats no cancellation when Stripe's answer to one was lost: the page is retried and re-reads", async () => {
    const drift = await seedBillingDrift(vendors, await getDb());
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${drift.deletedUser.subscription}`, {
      status: 500,
      when: "lost",
    });

    const run = await scheduledRun();

    expect(run.error).toBeUndefined();
    expect(run.retries.map((retry) => retry.step)).toEqual(["reconcile-page-1"]);
    expect(status(drift.deletedUser.subscription)).toBe("canceled");
    expect(
      vendors.stripe.count("DELETE", `/v1/subscriptions/${drift.deletedUser.subscription}`),
    ).toBe(1);
    // The retried page reports what it found then: the cancellation done, the row to rewrite.
    expect((run.result as ReconcileSummary).details).toContainEqual(
      expect.objectContaining({
        subscriptionId: drift.deletedUser.subscription,
        detail: "status trialing → canceled",
        outcome: "done",
      }),
    );
  });

  it("holds a failed onboarding's paid subscription for an operator, naming it: Clerk still has the account", async () => {
    const userId = vendors.clerk.addUser({ email: "late@example.com" }).id;
    const owner = ownerMetadata({ key: "clerk_user_id", id: userId });
    const customer = vendors.stripe.createCustomer({ metadata: owner });
    const paid = vendors.stripe.createSubscription({
      customer: customer.id,
      price: process.env.STRIPE_PRICE_PRO!,
      metadata: owner,
    });
    const db = await getDb();
    await db.insert(users).values({ clerkUserId: userId, stripeCustomerId: customer.id });
    await db.insert(onboarding).values({ clerkUserId: userId, state: "failed" });

    const summary = await reconcileAll({ apply: true });

    expect(count(summary, "live-subscription-without-onboarding")).toMatchObject({ held: 1 });
    expect(summary.details).toContainEqual(
      expect.objectContaining({
        subscriptionId: paid.id,
        reason: expect.stringMatching(/^an operator decides/),
      }),
    );
    expect(status(paid.id)).toBe("active");
    expect(vendors.stripe.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(booksAreStraight(summary)).toBe(false);
  });
  it("repeats no repair when Inngest never heard a page's answer: the page runs again and finds it done", async () => {
    const drift = await seedBillingDrift(vendors, await getDb());

    // The page's first answer is lost after its repairs were made: Inngest runs it again.
    const run = await scheduledRun({ lostAnswers: "first" });

    expect(run.error).toBeUndefined();
    expect(run.retries.map((retry) => retry.step)).toEqual(["reconcile-page-1"]);
    const writes = vendors.stripe.requests
      .filter((r) => r.method === "DELETE" || r.path === "/v1/refunds")
      .map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body)}`);
    expect(writes.length).toBeGreaterThan(0);
    expect(new Set(writes).size).toBe(writes.length);
    expect(status(drift.deletedUser.subscription)).toBe("canceled");
    expect(status(drift.lostDeletion.subscription)).toBe("canceled");
    expect(status(drift.twiceSubscribed.kept)).toBe("trialing");
    expect(status(drift.failedOnboarding.subscription)).toBe("trialing");
    // The retry's report finds only what is left for a person.
    expect(tally(run.result as ReconcileSummary)).toEqual([
      "live-subscription-without-onboarding held 1",
      "several-customers-for-account reported 1",
    ]);
  });
});
