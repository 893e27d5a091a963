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
import { orgs, users } from "@/lib/db/schema";
import { stripe } from "@/lib/vendors/stripe";
import { seedBillingDrift } from "@/test/support/billing-drift";
import { InngestSim } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => expect(vendors.stripe.violations).toEqual([]));

/** One scheduled reconciliation, as Inngest starts it at RECONCILE_CRON, run to its end. */
async function scheduledRun() {
  const sim = new InngestSim({ functions: [reconcileBilling] });
  const run = sim.start(reconcileBilling, { name: "inngest/scheduled.timer", data: {} });
  await sim.settle();
  return run;
}

/** Every page, as `npm run reconcile` goes through them. */
async function reconcileAll(options: Partial<ReconcileOptions> = {}) {
  let summary = emptySummary(options.apply ?? false);
  let cursor: string | null = null;
  do {
    const page = await reconcilePage(stripe!, cursor, {
      apply: false,
      cancelUnknownAccounts: false,
      pageSize: 100,
      pace: async () => {},
      ...options,
    });
    summary = addPage(summary, page);
    cursor = page.next;
  } while (cursor);
  return summary;
}

const status = (subscriptionId: string) => vendors.stripe.subscriptions.get(subscriptionId)!.status;
const userRow = async (userId: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0]!;
const orgRow = async (orgId: string) =>
  (await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, orgId)))[0]!;
const count = (summary: ReconcileSummary, kind: keyof ReconcileSummary["counts"]) =>
  summary.counts[kind];

describe("billing reconciler", () => {
  it("a dry run finds every drift, says what it would do, and changes nothing", async () => {
    const drift = await seedBillingDrift(vendors.stripe, await getDb());

    const summary = await reconcileAll();
    console.log(formatSummary(summary));

    expect(summary).toMatchObject({ customers: 10, compared: 9, pages: 1 });
    expect(count(summary, "live-subscription-of-deleted-account")).toMatchObject({ planned: 2 });
    expect(count(summary, "live-subscription-of-unknown-account")).toMatchObject({ held: 1 });
    expect(count(summary, "several-live-subscriptions")).toMatchObject({ planned: 1 });
    expect(count(summary, "row-differs-from-stripe")).toMatchObject({ planned: 2 });
    expect(count(summary, "several-customers-for-account")).toMatchObject({ reported: 1 });
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

  it("the scheduled run repairs page by page, leaves unknown accounts to an operator, and a second run finds the books straight", async () => {
    // 120 customers of another product: two pages of 100.
    const drift = await seedBillingDrift(vendors.stripe, await getDb(), { otherCustomers: 120 });

    const run = await scheduledRun();

    expect(run.error).toBeUndefined();
    expect(run.steps).toEqual(["reconcile-page-1", "reconcile-page-2"]);
    const summary = run.result as ReconcileSummary;
    console.log(formatSummary(summary));
    expect(summary).toMatchObject({ applied: true, pages: 2, customers: 129, compared: 9 });
    expect(count(summary, "live-subscription-of-deleted-account")).toMatchObject({ done: 2 });
    expect(count(summary, "several-live-subscriptions")).toMatchObject({ done: 1 });
    // The deleted accounts' rows now show the cancellation, and the two stale rows Stripe's state.
    expect(count(summary, "row-differs-from-stripe")).toMatchObject({ done: 3 });

    expect(status(drift.deletedUser.subscription)).toBe("canceled");
    expect(status(drift.deletedOrg.subscription)).toBe("canceled");
    expect(status(drift.twiceSubscribed.newer)).toBe("canceled");
    expect(status(drift.twiceSubscribed.kept)).toBe("trialing");
    expect(status(drift.unknownUser.subscription)).toBe("trialing");
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

    // Only what is left for a person: the unknown account, the second customer.
    expect(vendors.stripe.requests.filter((r) => r.method !== "GET")).toHaveLength(writes);
    expect(
      Object.entries(again.counts).flatMap(([kind, counts]) =>
        Object.entries(counts).flatMap(([outcome, n]) => (n ? [`${kind} ${outcome} ${n}`] : [])),
      ),
    ).toEqual([
      "live-subscription-of-unknown-account held 1",
      "several-customers-for-account reported 1",
    ]);
  });

  it("resumes at the page it was on when Stripe fails: pages done are not done again", async () => {
    await seedBillingDrift(vendors.stripe, await getDb(), { otherCustomers: 120 });
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
    // listed once, and again after a repair for the three that had some.
    expect(listed).toBe(3);
    expect(vendors.stripe.count("GET", "/v1/subscriptions")).toBe(9 + 3);
  });

  it("repeats no cancellation when Stripe's answer to one was lost: the page is retried and re-reads", async () => {
    const drift = await seedBillingDrift(vendors.stripe, await getDb());
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

  it("with --apply, an operator also cancels the subscriptions of accounts our tables do not know", async () => {
    const drift = await seedBillingDrift(vendors.stripe, await getDb());

    const summary = await reconcileAll({ apply: true, cancelUnknownAccounts: true });

    expect(count(summary, "live-subscription-of-unknown-account")).toMatchObject({ done: 1 });
    expect(status(drift.unknownUser.subscription)).toBe("canceled");
  });
});
