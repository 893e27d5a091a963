import { eq } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { clerkOutageWait } from "@/inngest/middleware/workflow-errors";
import { provisionSubscription } from "@/inngest/functions/provision-subscription";
import { reconcileBilling } from "@/inngest/functions/reconcile-billing";
import { environmentKey } from "@/lib/billing/ownership";
import type { ReconcileSummary } from "@/lib/billing/reconcile-report";
import { getDb } from "@/lib/db/client";
import { emails, users } from "@/lib/db/schema";
import { onboardingStatus } from "@/lib/onboarding/status";
import { onrampOnSimulator } from "@/test/support/onramp-on-sim";
import { signUpInClerk } from "@/test/support/sign-up";
import { setupVendors } from "@onramp/standins/vitest";

/**
 * Issue 25's cases end to end: Clerk's and Stripe's signed webhooks reach the app's routes, every
 * workflow runs on the Inngest simulator, and the vendors are their stand-ins. Each live
 * subscription onramp makes must belong to an account Clerk has, not deleted, and onboarded or
 * inside an onboarding still going. (The reconcile command's case is test/unit/reconcile-command,
 * the new-card plan's test/functions/provision-subscription, the seats' test/routes/licensing.)
 */

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.clerk.violations).toEqual([]);
});

const signUp = () => signUpInClerk(vendors);
const subscriptionsOf = (userId: string) => {
  const customers = [...vendors.stripe.customers.values()].filter(
    (customer) => customer.metadata.clerk_user_id === userId,
  );
  return [...vendors.stripe.subscriptions.values()].filter((subscription) =>
    customers.some((customer) => customer.id === subscription.customer),
  );
};

/** The hourly reconciliation, run as Inngest runs it, and what it found. */
async function reconcile(app: ReturnType<typeof onrampOnSimulator>) {
  const run = app.sim.start(reconcileBilling, { name: "inngest/scheduled.timer", data: {} });
  await app.settle();
  expect(run.error).toBeUndefined();
  const summary = run.result as ReconcileSummary;
  return Object.entries(summary.counts).flatMap(([kind, counts]) =>
    Object.entries(counts).flatMap(([outcome, n]) => (n ? [`${kind} ${outcome} ${n}`] : [])),
  );
}

const HOUR = 3_600_000;

describe("1. a sign-up that fails after subscribing ends what it started", () => {
  it("Clerk down for longer than the retries (over 3 hours): the trial is cancelled without an invoice, and the page says so", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    vendors.clerk.failNext("PATCH", `/v1/users/${user.id}/metadata`, { status: 503, times: 6 });

    await app.clerk("user.created", user);
    await app.settle();

    const [run] = app.sim.runsOf(provisionSubscription);
    // Clerk's outage was waited out longer after each try, for hours, before the run gave up.
    expect(run!.retries.map((retry) => [retry.step, retry.delay])).toEqual(
      [0, 1, 2, 3, 4].map((attempt) => ["update-clerk-metadata", clerkOutageWait(attempt)]),
    );
    expect(run!.endedAt! - run!.startedAt!).toBeGreaterThan(3 * HOUR);
    expect(run!.status).toBe("failed");
    // What it started is ended: cancelled now, no proration, no final invoice.
    expect(subscriptionsOf(user.id).map((s) => s.status)).toEqual(["canceled"]);
    const [cancel, ...more] = vendors.stripe.requests.filter((r) => r.method === "DELETE");
    expect(more).toEqual([]);
    expect(cancel!.query).toMatchObject({ invoice_now: "false", prorate: "false" });
    expect(vendors.stripe.refunds.size).toBe(0);
    // The page tells the truth about the money.
    const status = await onboardingStatus(user.id);
    expect(status.state).toBe("failed");
    expect(status.reason).toMatch(
      /We have cancelled the subscription we had started, so your card will not be charged\.$/,
    );
    // Nothing is left for the reconciler.
    expect(await reconcile(app)).toEqual([]);
  });

  it("Clerk down for an hour: the run rides it out and the user is onboarded", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    vendors.clerk.failNext("PATCH", `/v1/users/${user.id}/metadata`, { status: 502, times: 4 });

    await app.clerk("user.created", user);
    await app.settle();

    expect((await onboardingStatus(user.id)).state).toBe("complete");
    expect(subscriptionsOf(user.id).map((s) => s.status)).toEqual(["trialing"]);
    expect(vendors.stripe.requests.filter((r) => r.method === "DELETE")).toEqual([]);
  });
});

describe("3. a lost user.deleted", () => {
  it("Svix gave up on it: the reconciler asks Clerk, and closes the account as the deletion would have", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    await app.clerk("user.created", user);
    await app.settle();
    expect((await onboardingStatus(user.id)).state).toBe("complete");

    // Deleted in Clerk; every delivery of user.deleted failed (a wrong signing secret).
    vendors.clerk.users.delete(user.id);
    expect(await reconcile(app)).toEqual([
      "account-deleted-in-clerk done 1",
      "row-differs-from-stripe done 1",
    ]);

    expect(subscriptionsOf(user.id).map((s) => s.status)).toEqual(["canceled"]);
    const db = await getDb();
    const [row] = await db.select().from(users).where(eq(users.clerkUserId, user.id));
    expect(row).toMatchObject({ deletedAt: expect.any(Date), email: null, firstName: null });
    const stored = await db.select().from(emails).where(eq(emails.clerkUserId, user.id));
    expect(stored.map((email) => email.to)).toEqual(stored.map(() => ""));
    const [customer] = [...vendors.stripe.customers.values()];
    expect(customer!.metadata.clerk_user_deleted_at).toEqual(expect.any(String));
    // The next hour finds nothing.
    expect(await reconcile(app)).toEqual([]);
  });
});

describe("9. another deployment on the same Stripe account", () => {
  it("every Stripe object onramp makes names this deployment, and another deployment's are not touched", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    const org = vendors.clerk.addOrganization({ name: "Acme" });
    await app.clerk("user.created", user);
    await app.clerk("organization.created", org);
    await app.settle();

    const made = [
      ...vendors.stripe.customers.values(),
      ...vendors.stripe.setupIntents.values(),
      ...vendors.stripe.subscriptions.values(),
    ];
    expect(made).toHaveLength(4);
    for (const object of made) expect(object.metadata![environmentKey]).toBe("development");

    // Staging's customer and trial for the same Clerk user id (one test-mode account for both).
    const staging = { clerk_user_id: user.id, [environmentKey]: "staging" };
    const stagingCustomer = vendors.stripe.createCustomer({ metadata: staging });
    const stagingTrial = vendors.stripe.createSubscription({
      customer: stagingCustomer.id,
      trialDays: 14,
      metadata: staging,
    });
    vendors.stripe.onEvent?.(
      vendors.stripe.webhookEvent("customer.subscription.created", stagingTrial),
    );
    await app.settle();
    // Not a second subscription of ours, not ours to repair or cancel, even once our user is gone.
    expect(await reconcile(app)).toEqual([]);
    vendors.clerk.users.delete(user.id);
    await app.clerk("user.deleted", { object: "user", id: user.id, deleted: true });
    await app.settle();
    expect(vendors.stripe.subscriptions.get(stagingTrial.id)!.status).toBe("trialing");
    expect(vendors.stripe.customers.get(stagingCustomer.id)!.metadata).toEqual(staging);
    expect(
      subscriptionsOf(user.id)
        .map((s) => s.status)
        .sort(),
    ).toEqual(["canceled", "trialing"]);
  });
});
