import { inngest } from "@/inngest/client";
import { endBilling } from "@/inngest/steps/end-billing";
import { organizationDeleted } from "@/inngest/events";
import { clearCheckoutClaim, expireOpenCheckouts } from "@/lib/orgs/checkout";
import { markOrgDeleted } from "@/lib/orgs/orgs";
import { requireStripe } from "@/lib/vendors/stripe";

/**
 * An organization deleted in Clerk stops paying: its row is marked deleted (nobody is licensed
 * by it any more; a late organization.created creates nothing), every live subscription of every
 * customer Stripe holds for it is cancelled now, without proration (not only the one our table
 * knows: a Checkout paid a moment ago has no row yet), its customers are kept, marked, and its
 * open Checkouts are expired so nobody can pay them. Every step re-reads Stripe before it writes,
 * so replays cancel nothing twice.
 */
export const closeDeletedOrganization = inngest.createFunction(
  {
    id: "close-deleted-organization",
    name: "Cancel a deleted organization's seats",
    triggers: [organizationDeleted],
    // One run per organization at a time; a redelivery then finds everything done.
    concurrency: { key: "event.data.id", limit: 1 },
    // About 6 Stripe requests a run (search, subscriptions, cancel, mark, Checkouts): 4 runs a
    // second stay within Stripe's 25 requests per second.
    throttle: { limit: 4, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const orgId = event.data.id;
    const org = await step.run("mark-org-deleted", () => markOrgDeleted(orgId));
    const { customers, canceled } = await endBilling(
      step,
      { key: "clerk_org_id", id: orgId },
      {
        recordedCustomer: async () => org.stripeCustomerId,
        deletedAt: org.deletedAt,
        comment: `Clerk organization ${orgId} was deleted`,
      },
    );
    const expiredCheckouts = await step.run("expire-open-checkouts", async () => {
      const expired: string[] = [];
      // No customers without billing.
      for (const customerId of customers) {
        expired.push(...(await expireOpenCheckouts(requireStripe(), customerId)));
      }
      await clearCheckoutClaim(orgId);
      return expired;
    });
    return { orgId, customers, canceled, expiredCheckouts };
  },
);
