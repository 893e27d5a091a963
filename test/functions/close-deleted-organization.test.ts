import { eq } from "drizzle-orm";
import { http } from "msw";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { closeDeletedOrganization } from "@/inngest/functions/close-deleted-organization";
import { ownerMetadata } from "@/lib/billing/ownership";
import { getDb } from "@/lib/db/client";
import { orgs } from "@/lib/db/schema";
import { assignSeat, isLicensed } from "@/lib/orgs/seats";
import { runFunction } from "@onramp/standins/inngest";
import { openSeatCheckout } from "@/test/support/seat-checkout";
import { setupVendors } from "@onramp/standins/vitest";

const vendors = setupVendors();
beforeAll(() => getDb());
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
});

const seatPrice = process.env.STRIPE_PRICE_ENTERPRISE!;
const ours = (orgId: string) => ownerMetadata({ key: "clerk_org_id", id: orgId });

/** Clerk's organization.deleted payload (webhooks spec example), for this org. */
const orgDeleted = (orgId: string, ts?: number) => ({
  name: "clerk/organization.deleted",
  data: { object: "organization", id: orgId, slug: "acme-corp", deleted: true },
  ...(ts === undefined ? {} : { ts }),
});
/** One delivery, run to its end with Inngest's retries; `ts`: when Clerk deleted the org. */
const deliver = (orgId: string, ts?: number) =>
  runFunction(closeDeletedOrganization, orgDeleted(orgId, ts));

/** An org with its customer and row, as create-organization-customer leaves it. */
async function organization() {
  const org = vendors.clerk.addOrganization({ name: "Acme Corp" });
  const customer = vendors.stripe.createCustomer({ metadata: ours(org.id) });
  await (
    await getDb()
  )
    .insert(orgs)
    .values({ clerkOrgId: org.id, name: "Acme Corp", stripeCustomerId: customer.id });
  return { orgId: org.id, customerId: customer.id };
}

/** An org with a paying seat subscription and one licensed member, as the workflows leave it. */
async function payingOrganization(seats = 3) {
  const { orgId, customerId } = await organization();
  const subscription = vendors.stripe.createSubscription({
    customer: customerId,
    price: seatPrice,
    quantity: seats,
    metadata: { clerk_org_id: orgId },
  });
  await (
    await getDb()
  )
    .update(orgs)
    .set({
      stripeSubscriptionId: subscription.id,
      subscriptionStatus: subscription.status,
      purchasedSeats: seats,
    })
    .where(eq(orgs.clerkOrgId, orgId));
  const memberId = `user_member_of_${orgId}`;
  await assignSeat({
    orgId,
    userId: memberId,
    membershipId: `orgmem_of_${orgId}`,
    assignedBy: "user_admin",
  });
  return { orgId, customerId, subscriptionId: subscription.id, memberId };
}

const orgRow = async (orgId: string) =>
  (await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, orgId)))[0]!;
const cancels = () =>
  vendors.stripe.requests.filter(
    (r) => r.method === "DELETE" && r.path.startsWith("/v1/subscriptions/"),
  );

describe("close-deleted-organization", () => {
  it("cancels the seat subscription once and licenses nobody, however often the event comes", async () => {
    const { orgId, customerId, subscriptionId, memberId } = await payingOrganization();
    expect(await isLicensed(orgId, memberId)).toBe(true);
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscriptionId}`, { status: 500 });
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscriptionId}`, {
      status: 500,
      when: "lost",
    });

    for (let delivery = 0; delivery < 3; delivery++) {
      const { result, error } = await deliver(orgId);
      expect(error).toBeUndefined();
      expect(result).toMatchObject({ orgId, customers: [customerId] });
    }

    expect(vendors.stripe.subscriptions.get(subscriptionId)?.status).toBe("canceled");
    // The 5xx before Stripe acted, and the cancel whose answer was lost: Stripe cancelled once,
    // and every later run re-read the subscription and left it alone.
    expect(cancels()).toHaveLength(2);
    // Stripe ignores idempotency keys on DELETE. stripe-node sends its parameters in the query.
    expect(cancels()[1]!.query).toMatchObject({
      invoice_now: "false",
      prorate: "false",
      cancellation_details: { comment: `Clerk organization ${orgId} was deleted` },
    });
    const row = await orgRow(orgId);
    expect(row.deletedAt).toBeInstanceOf(Date);
    expect(await isLicensed(orgId, memberId)).toBe(false);
    // The customer stays for the accounts, marked with the first deletion time.
    expect(vendors.stripe.customers.get(customerId)!.metadata).toEqual({
      ...ours(orgId),
      clerk_org_deleted_at: row.deletedAt!.toISOString(),
    });
  });

  it("cancels a seat subscription our table does not know yet: a Checkout paid before its webhook was applied", async () => {
    const { orgId, customerId } = await organization();
    const session = await openSeatCheckout(orgId, customerId);
    const paid = vendors.stripe.payCheckout(session.id)!;

    const { result, error } = await deliver(orgId);

    expect(error).toBeUndefined();
    expect(result).toMatchObject({ canceled: [{ id: paid.id, status: "canceled" }] });
    expect(vendors.stripe.subscriptions.get(paid.id)!.status).toBe("canceled");
    expect((await orgRow(orgId)).stripeSubscriptionId).toBeNull();
  });

  it("expires the org's open Checkout, so it can no longer be paid, and clears the claim", async () => {
    const { orgId, customerId } = await organization();
    const open = await openSeatCheckout(orgId, customerId);
    const paid = await openSeatCheckout(orgId, customerId);
    const subscription = vendors.stripe.payCheckout(paid.id)!;
    await (
      await getDb()
    )
      .update(orgs)
      .set({
        checkoutSessionId: open.id,
        checkoutUrl: open.url,
        checkoutExpiresAt: new Date(open.expires_at * 1000),
      })
      .where(eq(orgs.clerkOrgId, orgId));
    // Stripe's answer to the expiry is lost; the retry finds the session expired and is content.
    vendors.stripe.failNext("POST", `/v1/checkout/sessions/${open.id}/expire`, {
      status: 500,
      when: "lost",
    });

    for (let delivery = 0; delivery < 2; delivery++) {
      expect((await deliver(orgId)).error).toBeUndefined();
    }

    expect(vendors.stripe.checkoutSessions.get(open.id)!.status).toBe("expired");
    expect(vendors.stripe.payCheckout(open.id)).toBeNull();
    // Expired before anything was cancelled, so nobody paid it meanwhile.
    const order = vendors.stripe.requests.map((r) => `${r.method} ${r.path}`);
    expect(order.findIndex((r) => r.endsWith("/expire"))).toBeLessThan(
      order.findIndex((r) => r.startsWith("DELETE /v1/subscriptions/")),
    );
    expect(vendors.stripe.subscriptions.get(subscription.id)!.status).toBe("canceled");
    expect(vendors.stripe.count("POST", /\/expire$/)).toBe(1);
    expect(await orgRow(orgId)).toMatchObject({
      checkoutSessionId: null,
      checkoutUrl: null,
      checkoutExpiresAt: null,
    });
  });

  it("refunds seats paid on a Checkout after the deletion, and only cancels those paid before it", async () => {
    const hour = 3_600_000;
    const paidBefore = await organization();
    const early = vendors.stripe.payCheckout(
      (await openSeatCheckout(paidBefore.orgId, paidBefore.customerId)).id,
    )!;
    const paidAfter = await organization();
    const late = vendors.stripe.payCheckout(
      (await openSeatCheckout(paidAfter.orgId, paidAfter.customerId)).id,
    )!;

    const kept = await deliver(paidBefore.orgId, Date.now() + hour);
    const refunded = await deliver(paidAfter.orgId, Date.now() - hour);
    await deliver(paidAfter.orgId, Date.now() - hour);

    expect(kept.result).toMatchObject({
      canceled: [{ id: early.id, status: "canceled" }],
      refunded: [],
    });
    expect(refunded.result).toMatchObject({
      canceled: [{ id: late.id, status: "canceled" }],
      refunded: [{ amount: expect.any(Number) }],
    });
    // Once, however often the event comes.
    const refunds = [...vendors.stripe.refunds.values()];
    expect(refunds).toHaveLength(1);
    expect(refunds[0]!.metadata).toEqual(ours(paidAfter.orgId));
  });

  it("a cancel Stripe carried out before failing with a 500 ends with the subscription cancelled once", async () => {
    const { orgId, subscriptionId } = await payingOrganization();
    // DELETE ignores idempotency keys: a second cancel would be refused, not replayed.
    vendors.stripe.failAfterEffect("DELETE", `/v1/subscriptions/${subscriptionId}`);

    const { result, error } = await deliver(orgId);

    expect(error).toBeUndefined();
    // The retry re-read it cancelled (the 500's effect) and cancelled nothing more.
    expect(result).toMatchObject({ orgId });
    expect(vendors.stripe.subscriptions.get(subscriptionId)?.status).toBe("canceled");
    expect(cancels().map((r) => r.status)).toEqual([500]);
  });

  it("a subscription cancelled elsewhere between reading and cancelling it ends the run cleanly", async () => {
    const { orgId, subscriptionId } = await payingOrganization();
    // Right after the run reads it live, the subscription is cancelled (in the Portal, say).
    const stripe = vendors.stripe.handler();
    vendors.server.use(
      http.get(
        `${vendors.stripe.baseUrl}/v1/subscriptions/${subscriptionId}`,
        async ({ request, requestId }) => {
          const answered = await stripe.run({ request, requestId });
          vendors.stripe.updateSubscription(subscriptionId, { status: "canceled" });
          return answered?.response;
        },
        { once: true },
      ),
    );

    const { result, error } = await deliver(orgId);

    expect(error).toBeUndefined();
    expect(result).toMatchObject({ orgId, canceled: [{ id: subscriptionId, status: "canceled" }] });
    expect(cancels().map((r) => r.status)).toEqual([404]);
  });

  it("keeps the first deletion time, and leaves an ended subscription alone", async () => {
    const { orgId, subscriptionId } = await payingOrganization();
    await deliver(orgId);
    const first = await orgRow(orgId);

    const { result } = await deliver(orgId);

    expect(result).toMatchObject({ canceled: [] });
    expect((await orgRow(orgId)).deletedAt).toEqual(first.deletedAt);
    expect(cancels().filter((r) => r.path.endsWith(subscriptionId))).toHaveLength(1);
  });

  it("leaves a tombstone for an org deleted before its row, and finds its customer in Stripe", async () => {
    expect((await deliver("org_never_seen")).result).toEqual({
      orgId: "org_never_seen",
      customers: [],
      expiredCheckouts: [],
      canceled: [],
      refunded: [],
    });
    // The deleted row it leaves is what stops a late organization.created.
    expect(await orgRow("org_never_seen")).toMatchObject({
      deletedAt: expect.any(Date),
      stripeCustomerId: null,
    });

    // The licensing page created a customer (and the org paid) before the deletion was processed,
    // and the row was never written.
    const org = vendors.clerk.addOrganization({ name: "Quick Org" });
    const customer = vendors.stripe.createCustomer({ metadata: ours(org.id) });
    const subscription = vendors.stripe.createSubscription({
      customer: customer.id,
      price: seatPrice,
      metadata: { clerk_org_id: org.id },
    });
    expect((await deliver(org.id)).result).toMatchObject({
      customers: [customer.id],
      canceled: [{ id: subscription.id, status: "canceled" }],
    });
  });
});
