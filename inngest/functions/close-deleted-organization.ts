import { inngest } from "@/inngest/client";
import { endBilling } from "@/inngest/steps/end-billing";
import { organizationDeleted } from "@/inngest/events";
import { clearCheckoutClaim, expireOpenCheckouts } from "@/lib/orgs/checkout";
import { markOrgDeleted } from "@/lib/orgs/orgs";

/**
 * An organization deleted in Clerk stops paying: its row is marked deleted (nobody is licensed
 * by it any more, no admin opens a Checkout, a late organization.created creates nothing), its
 * open Checkouts are expired before anything else so nobody can pay them meanwhile, every live
 * subscription of every customer Stripe holds for it is cancelled now, without proration (not
 * only the one our table knows: a Checkout paid a moment ago has no row yet), what was paid after
 * the deletion is refunded, and its customers are kept, marked. Every step re-reads Stripe before
 * it writes, so replays cancel and refund nothing twice. A Checkout opened or paid later still is
 * caught on sight (startSeatCheckout, sync-subscription).
 */
export const closeDeletedOrganization = inngest.createFunction(
  {
    id: "close-deleted-organization",
    name: "Cancel a deleted organization's seats",
    triggers: [organizationDeleted],
    // One run per organization at a time; a redelivery then finds everything done.
    concurrency: { key: "event.data.id", limit: 1 },
    // About 9 Stripe requests a run (search, Checkouts, subscriptions, cancel, invoices, refund,
    // mark): 2 runs a second stay within Stripe's 25 requests per second.
    throttle: { limit: 2, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const orgId = event.data.id;
    const org = await step.run("mark-org-deleted", () =>
      markOrgDeleted(orgId, new Date(event.ts ?? Date.now())),
    );
    await step.run("clear-checkout-claim", () => clearCheckoutClaim(orgId));
    let expiredCheckouts: string[] = [];
    const { customers, canceled, refunded } = await endBilling(
      step,
      { key: "clerk_org_id", id: orgId },
      {
        recordedCustomer: async () => org.stripeCustomerId,
        deletedAt: org.deletedAt,
        // First, so that nobody pays a Checkout while the subscriptions are being cancelled.
        beforeCancelling: async (billing, customerIds) => {
          expiredCheckouts = await step.run("expire-open-checkouts", async () => {
            const expired: string[] = [];
            for (const customerId of customerIds) {
              expired.push(...(await expireOpenCheckouts(billing, customerId)));
            }
            return expired;
          });
        },
      },
    );
    return { orgId, customers, expiredCheckouts, canceled, refunded };
  },
);
