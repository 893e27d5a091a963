import { eq } from "drizzle-orm";
import { HttpResponse, http } from "msw";
import type Stripe from "stripe";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { provisionSubscription } from "@/inngest/functions/provision-subscription";
import { getDb } from "@/lib/db/client";
import { orgs, users } from "@/lib/db/schema";
import { onboardingStatus } from "@/lib/onboarding/status";
import { onrampOnSimulator } from "@/test/support/onramp-on-sim";
import { signUpInClerk } from "@/test/support/sign-up";
import { openSeatCheckout } from "@/test/support/seat-checkout";
import { setupVendors } from "@onramp/standins/vitest";

/**
 * Issue 13's sequences, end to end: Clerk's and Stripe's signed webhooks reach the app's routes,
 * every workflow runs on the Inngest simulator, and the vendors are their stand-ins.
 */

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
  expect(vendors.clerk.violations).toEqual([]);
});

const signUp = () => signUpInClerk(vendors);

/** Clerk deletes the user (or org) and then tells us. */
const deleted = (id: string, object: "user" | "organization") => ({ object, id, deleted: true });

/** What Stripe holds for a Clerk user or org: customers, and their subscriptions. */
function inStripe(key: "clerk_user_id" | "clerk_org_id", id: string) {
  const customers = [...vendors.stripe.customers.values()].filter((c) => c.metadata[key] === id);
  const subscriptions = [...vendors.stripe.subscriptions.values()].filter((s) =>
    customers.some((c) => c.id === s.customer),
  );
  return { customers, subscriptions };
}

const userRow = async (userId: string) =>
  (await (await getDb()).select().from(users).where(eq(users.clerkUserId, userId)))[0];
const orgRow = async (orgId: string) =>
  (await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, orgId)))[0];

/** An organization created in Clerk, its organization.created processed. */
async function createdOrganization(app: ReturnType<typeof onrampOnSimulator>) {
  const org = vendors.clerk.addOrganization({ name: "Acme Corp" });
  await app.clerk("organization.created", org);
  await app.settle();
  const customerId = (await orgRow(org.id))!.stripeCustomerId!;
  return { orgId: org.id, customerId };
}

describe("money follows the account", () => {
  it("a user deleted after sign-up: the trial is cancelled at once, the customer kept and marked, their data erased", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    await app.clerk("user.created", user);
    // Onboarded, Stripe's customer.subscription.created handled, and the drip waiting to send
    // the trial offer.
    await app.sim.until(
      async () =>
        app.sim.runsOf("sync-subscription").some((run) => run.status === "completed") &&
        app.sim
          .runsOf("send-onboarding-emails")
          .some((run) => run.sleeping("wait-before-trial-offer")) &&
        (await onboardingStatus(user.id)).state === "complete",
    );
    const [subscription] = inStripe("clerk_user_id", user.id).subscriptions;
    expect(subscription).toMatchObject({ status: "trialing" });

    vendors.clerk.users.delete(user.id);
    const msgId = await app.clerk("user.deleted", deleted(user.id, "user"));
    // Svix delivers it again.
    await app.clerk("user.deleted", deleted(user.id, "user"), { msgId });
    await app.settle();

    const { customers, subscriptions } = inStripe("clerk_user_id", user.id);
    expect(subscriptions.map((s) => s.status)).toEqual(["canceled"]);
    // Cancelled now, without proration and without the final invoice a trial would convert into.
    const cancels = vendors.stripe.requests.filter((r) => r.method === "DELETE");
    expect(cancels).toHaveLength(1);
    expect(cancels[0]!.query).toMatchObject({ invoice_now: "false", prorate: "false" });
    expect(customers).toHaveLength(1);
    expect(customers[0]!.metadata.clerk_user_deleted_at).toEqual(expect.any(String));
    // Stripe's customer.subscription.deleted came back through the Stripe route and was recorded.
    expect(await userRow(user.id)).toMatchObject({
      email: null,
      firstName: null,
      lastName: null,
      stripeCustomerId: customers[0]!.id,
      subscriptionStatus: "canceled",
      deletedAt: expect.any(Date),
    });
    // The drip was cancelled before its trial offer.
    expect(vendors.resend.emails.map((e) => e.tags[0]?.value)).toEqual(["welcome"]);
  });

  it("user.deleted delivered before user.created: nothing is created, no email is sent, and the status never says complete", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    vendors.clerk.users.delete(user.id);
    await app.clerk("user.deleted", deleted(user.id, "user"));
    await app.settle();
    await app.clerk("user.created", user);
    await app.settle();

    expect(inStripe("clerk_user_id", user.id).customers).toEqual([]);
    expect(vendors.stripe.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(vendors.stripe.setupIntents.size).toBe(0);
    expect(vendors.clerk.requests.filter((r) => r.method !== "GET")).toEqual([]);
    expect(vendors.resend.requests).toEqual([]);
    const status = await onboardingStatus(user.id);
    expect(status.state).toBe("failed");
    expect(status.reason).toMatch(/no longer exists/);
    expect(await userRow(user.id)).toMatchObject({ email: null, deletedAt: expect.any(Date) });
  });

  it("an org pays a seat Checkout and is deleted before customer.subscription.created was applied: the seats are cancelled", async () => {
    const app = onrampOnSimulator(vendors);
    const { orgId, customerId } = await createdOrganization(app);
    // Stripe's webhook for the paid Checkout is still on its way.
    const held: Stripe.Event[] = [];
    const deliver = vendors.stripe.onEvent;
    vendors.stripe.onEvent = (event) => held.push(event);
    const paid = vendors.stripe.payCheckout((await openSeatCheckout(orgId, customerId)).id)!;
    vendors.stripe.onEvent = deliver;

    await app.clerk("organization.deleted", deleted(orgId, "organization"));
    await app.settle();
    expect(vendors.stripe.subscriptions.get(paid.id)!.status).toBe("canceled");
    // Then it arrives: the row records the subscription as Stripe has it now.
    for (const event of held) await app.stripe(event);
    await app.settle();

    expect(await orgRow(orgId)).toMatchObject({
      stripeSubscriptionId: paid.id,
      subscriptionStatus: "canceled",
      purchasedSeats: 0,
      deletedAt: expect.any(Date),
    });
    expect(vendors.stripe.count("DELETE", `/v1/subscriptions/${paid.id}`)).toBe(1);
  });

  it("a Checkout paid after the org's deletion was processed is cancelled on sight by the subscription sync, and refunded", async () => {
    const app = onrampOnSimulator(vendors);
    const { orgId, customerId } = await createdOrganization(app);
    await app.clerk("organization.deleted", deleted(orgId, "organization"));
    await app.settle();
    // An admin's Checkout that raced the deletion: opened as its Checkouts were being expired.
    const session = await openSeatCheckout(orgId, customerId);

    const paid = vendors.stripe.payCheckout(session.id)!;
    await app.settle();

    expect(vendors.stripe.subscriptions.get(paid.id)!.status).toBe("canceled");
    // Paid after the deletion: the money goes back, once however often Stripe's events come.
    expect([...vendors.stripe.refunds.values()]).toEqual([
      expect.objectContaining({ status: "succeeded", amount: expect.any(Number) }),
    ]);
    expect(await orgRow(orgId)).toMatchObject({
      subscriptionStatus: "canceled",
      purchasedSeats: 0,
    });
  });

  it("an open Checkout of a deleted org is expired and can no longer be paid", async () => {
    const app = onrampOnSimulator(vendors);
    const { orgId, customerId } = await createdOrganization(app);
    const session = await openSeatCheckout(orgId, customerId);

    await app.clerk("organization.deleted", deleted(orgId, "organization"));
    await app.settle();

    expect(vendors.stripe.checkoutSessions.get(session.id)!.status).toBe("expired");
    expect(vendors.stripe.payCheckout(session.id)).toBeNull();
    expect(inStripe("clerk_org_id", orgId).subscriptions).toEqual([]);
  });

  it("a rerun after the price changed adopts the live subscription an earlier run left, whatever its price: one subscription", async () => {
    const app = onrampOnSimulator(vendors);
    const user = signUp();
    // The trial starts, then Clerk fails every try of the metadata write, and Stripe fails every
    // listing the failed run's handler makes to cancel it: the trial outlives the run.
    vendors.clerk.failNext("PATCH", /\/metadata$/, { status: 503, times: 6 });
    vendors.server.use(
      http.get(`${vendors.stripe.baseUrl}/v1/subscriptions`, () =>
        HttpResponse.json({ error: { type: "api_error", message: "down" } }, { status: 503 }),
      ),
    );
    await app.clerk("user.created", user);
    await app.settle();
    vendors.server.resetHandlers();
    expect((await onboardingStatus(user.id)).state).toBe("failed");
    const [left] = inStripe("clerk_user_id", user.id).subscriptions;
    expect(left).toMatchObject({ status: "trialing" });

    // The operator fixes the price (README), Stripe has forgotten the keys, and they rerun.
    vendors.stripe.updateSubscription(left!.id, { price: "price_pro_until_last_month" });
    vendors.stripe.forgetIdempotencyKeys();
    const [created] = app.sim.events.filter((event) => event.name === "clerk/user.created");
    const rerun = app.sim.start(provisionSubscription, created!);
    await app.settle();

    expect(rerun.error).toBeUndefined();
    const { customers, subscriptions } = inStripe("clerk_user_id", user.id);
    expect(customers).toHaveLength(1);
    expect(subscriptions.map((s) => [s.id, s.status])).toEqual([[left!.id, "trialing"]]);
    expect(rerun.result).toMatchObject({ outcome: "complete", subscriptionId: left!.id });
    expect((await onboardingStatus(user.id)).state).toBe("complete");
  });
});
