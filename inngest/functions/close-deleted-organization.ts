import { inngest } from "@/inngest/client";
import { organizationDeleted } from "@/inngest/events";
import { hasEnded } from "@/lib/billing/subscription-status";
import { cancelSubscriptionNow } from "@/lib/billing/subscriptions";
import { markOrgDeleted } from "@/lib/orgs/orgs";
import { requireStripe } from "@/lib/vendors/stripe";

/**
 * An organization deleted in Clerk stops paying: its row is marked deleted (nobody is licensed
 * by it any more) and its seat subscription is cancelled now, without proration, so Stripe never
 * charges for an organization that no longer exists. Cancelling twice is harmless: the
 * subscription is re-read first.
 */
export const closeDeletedOrganization = inngest.createFunction(
  {
    id: "close-deleted-organization",
    name: "Cancel a deleted organization's seats",
    triggers: [organizationDeleted],
  },
  async ({ event, step, logger }) => {
    const orgId = event.data.id;
    const org = await step.run("mark-org-deleted", () => markOrgDeleted(orgId));
    if (org.tombstone) {
      logger.warn(
        `Organization ${orgId} was deleted before it was set up; a late organization.created will create nothing`,
      );
      return { orgId, skipped: "deleted before it was set up" };
    }
    const subscriptionId = org.stripeSubscriptionId;
    if (!subscriptionId || hasEnded(org.subscriptionStatus)) return { orgId, canceled: null };

    const status = await step.run("cancel-seat-subscription", () =>
      cancelSubscriptionNow(
        requireStripe(),
        subscriptionId,
        `Clerk organization ${orgId} was deleted`,
      ),
    );
    return { orgId, canceled: subscriptionId, status };
  },
);
