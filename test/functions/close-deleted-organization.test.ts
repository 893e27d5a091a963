import { eq } from "drizzle-orm";
import { http } from "msw";
import { afterEach, describe, expect, it } from "vitest";
import { closeDeletedOrganization } from "@/inngest/functions/close-deleted-organization";
import { getDb } from "@/lib/db/client";
import { orgs } from "@/lib/db/schema";
import { assignSeat, isLicensed } from "@/lib/orgs/seats";
import { runFunction } from "@/standins/inngest";
import { setupVendors } from "@/test/support/vendors";

const vendors = setupVendors();
afterEach(() => {
  expect(vendors.stripe.violations).toEqual([]);
});

const seatPrice = process.env.STRIPE_PRICE_ENTERPRISE!;

/** Clerk's organization.deleted payload (webhooks spec example), for this org. */
const orgDeleted = (orgId: string) => ({
  name: "clerk/organization.deleted",
  data: { object: "organization", id: orgId, slug: "acme-corp", deleted: true },
});
/** One delivery, run to its end with Inngest's retries. */
const deliver = (orgId: string) => runFunction(closeDeletedOrganization, orgDeleted(orgId));

/** An org with a paying seat subscription and one licensed member, as the workflows leave it. */
async function payingOrganization(seats = 3) {
  const org = vendors.clerk.addOrganization({ name: "Acme Corp" });
  const customer = vendors.stripe.createCustomer({ metadata: { clerk_org_id: org.id } });
  const subscription = vendors.stripe.createSubscription({
    customer: customer.id,
    price: seatPrice,
    quantity: seats,
  });
  await (await getDb()).insert(orgs).values({
    clerkOrgId: org.id,
    name: "Acme Corp",
    stripeCustomerId: customer.id,
    stripeSubscriptionId: subscription.id,
    subscriptionStatus: subscription.status,
    purchasedSeats: seats,
  });
  const memberId = `user_member_of_${org.id}`;
  await assignSeat({
    orgId: org.id,
    userId: memberId,
    membershipId: `orgmem_of_${org.id}`,
    assignedBy: "user_admin",
  });
  return { orgId: org.id, subscriptionId: subscription.id, memberId };
}

const cancels = () =>
  vendors.stripe.requests.filter(
    (r) => r.method === "DELETE" && r.path.startsWith("/v1/subscriptions/"),
  );

describe("close-deleted-organization", () => {
  it("cancels the seat subscription once and licenses nobody, however often the event comes", async () => {
    const { orgId, subscriptionId, memberId } = await payingOrganization();
    expect(await isLicensed(orgId, memberId)).toBe(true);
    vendors.stripe.failNext("DELETE", `/v1/subscriptions/${subscriptionId}`, { status: 500 });

    for (let delivery = 0; delivery < 3; delivery++) {
      const { result, error } = await deliver(orgId);
      expect(error).toBeUndefined();
      expect(result).toEqual({ orgId, canceled: subscriptionId, status: "canceled" });
    }

    expect(vendors.stripe.subscriptions.get(subscriptionId)?.status).toBe("canceled");
    const succeeded = cancels().filter((r) => r.status === 200);
    expect(succeeded).toHaveLength(1);
    // Stripe ignores idempotency keys on DELETE, so none is sent.
    expect(succeeded[0]!.idempotencyKey).toBeUndefined();
    // stripe-node sends DELETE parameters in the query string.
    expect(succeeded[0]!.query).toMatchObject({
      invoice_now: "false",
      prorate: "false",
      cancellation_details: { comment: `Clerk organization ${orgId} was deleted` },
    });
    const [row] = await (await getDb()).select().from(orgs).where(eq(orgs.clerkOrgId, orgId));
    expect(row!.deletedAt).toBeInstanceOf(Date);
    expect(await isLicensed(orgId, memberId)).toBe(false);
  });

  it("a cancel Stripe carried out before failing with a 500 ends with the subscription cancelled once", async () => {
    const { orgId, subscriptionId } = await payingOrganization();
    // DELETE ignores idempotency keys: a second cancel would be refused, not replayed.
    vendors.stripe.failAfterEffect("DELETE", `/v1/subscriptions/${subscriptionId}`);

    const { result, error } = await deliver(orgId);

    expect(error).toBeUndefined();
    expect(result).toEqual({ orgId, canceled: subscriptionId, status: "canceled" });
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
    expect(result).toEqual({ orgId, canceled: subscriptionId, status: "canceled" });
    expect(cancels().map((r) => r.status)).toEqual([404]);
  });

  it("keeps the first deletion time, and leaves an ended subscription alone", async () => {
    const { orgId, subscriptionId } = await payingOrganization();
    await deliver(orgId);
    const db = await getDb();
    const [first] = await db.select().from(orgs).where(eq(orgs.clerkOrgId, orgId));
    // The subscription sync has recorded the cancellation by now.
    await db.update(orgs).set({ subscriptionStatus: "canceled" }).where(eq(orgs.clerkOrgId, orgId));

    const { result } = await deliver(orgId);

    expect(result).toEqual({ orgId, canceled: null });
    const [again] = await db.select().from(orgs).where(eq(orgs.clerkOrgId, orgId));
    expect(again!.deletedAt).toEqual(first!.deletedAt);
    expect(cancels().filter((r) => r.path.endsWith(subscriptionId))).toHaveLength(1);
  });

  it("ends cleanly, with the reason, for an org deleted before its row or without a subscription", async () => {
    expect((await deliver("org_never_seen")).result).toEqual({
      orgId: "org_never_seen",
      skipped: "deleted before it was set up",
    });
    // The deleted row it leaves is what stops a late organization.created.
    const db = await getDb();
    const [tombstone] = await db.select().from(orgs).where(eq(orgs.clerkOrgId, "org_never_seen"));
    expect(tombstone).toMatchObject({ deletedAt: expect.any(Date), stripeCustomerId: null });
    const org = vendors.clerk.addOrganization({ name: "Free Org" });
    await (await getDb()).insert(orgs).values({ clerkOrgId: org.id, name: "Free Org" });
    expect((await deliver(org.id)).result).toEqual({ orgId: org.id, canceled: null });
    expect(cancels()).toEqual([]);
  });
});
