import { inngest } from "@/inngest/client";
import { organizationDeleted } from "@/inngest/events";
import {
  cancelLiveSubscriptions,
  customersOfAccount,
  markCustomerDeleted,
  type ClosedAccount,
} from "@/lib/billing/account-closure";
import { clearCheckoutClaim, expireOpenCheckouts } from "@/lib/orgs/checkout";
import { markOrgDeleted } from "@/lib/orgs/orgs";
import { stripe } from "@/lib/vendors/stripe";

/**
 * An organization deleted in Clerk stops paying: its row is marked deleted (nobody is licensed
 * by it any more; a late organization.created creates nothing), every live subscription of every
 * customer Stripe holds for it is cancelled now, without proration (not only the one our table
 * knows: a Checkout paid a moment ago has no row yet), its open Checkouts are expired so nobody
 * can pay them, and its customers are kept, marked. Every step re-reads Stripe before it writes,
 * so replays cancel nothing twice.
 */
export const closeDeletedOrganization = inngest.createFunction(
  {
    id: "close-deleted-organization",
    name: "Cancel a deleted organization's seats",
    triggers: [organizationDeleted],
    // One run per organization at a time; a redelivery then finds everything done.
    concurrency: { key: "event.data.id", limit: 1 },
    // About 6 Stripe requests a run (search, subscriptions, cancel, Checkouts, mark): 4 runs a
    // second stay within Stripe's 25 requests per second.
    throttle: { limit: 4, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const orgId = event.data.id;
    const account: ClosedAccount = { key: "clerk_org_id", id: orgId };
    const org = await step.run("mark-org-deleted", () => markOrgDeleted(orgId));

    const customers = await step.run("find-stripe-customers", () =>
      customersOfAccount(stripe, account, org.stripeCustomerId),
    );
    if (!stripe || customers.length === 0) {
      await step.run("clear-checkout-claim", () => clearCheckoutClaim(orgId));
      return { orgId, customers, canceled: [], expiredCheckouts: [] };
    }
    const billing = stripe;

    const canceled = await step.run("cancel-live-subscriptions", () =>
      cancelLiveSubscriptions(billing, customers, `Clerk organization ${orgId} was deleted`),
    );
    const expiredCheckouts = await step.run("expire-open-checkouts", async () => {
      const expired: string[] = [];
      for (const customerId of customers) {
        expired.push(...(await expireOpenCheckouts(billing, customerId)));
      }
      await clearCheckoutClaim(orgId);
      return expired;
    });
    await step.run("mark-stripe-customers", async () => {
      for (const customerId of customers) {
        // The first deletion time, the same on every run.
        await markCustomerDeleted(billing, customerId, account, new Date(org.deletedAt));
      }
    });
    return { orgId, customers, canceled, expiredCheckouts };
  },
);
