import { NonRetriableError } from "inngest";
import Stripe from "stripe";
import { inngest } from "@/inngest/client";
import { organizationDeleted } from "@/inngest/events";
import { hasEnded } from "@/lib/billing/subscription-status";
import { markOrgDeleted } from "@/lib/orgs";
import { stripe } from "@/lib/stripe";

/**
 * An organization deleted in Clerk stops paying: its row is marked deleted (nobody is licensed
 * by it any more) and its seat subscription is cancelled now, without proration, so Stripe never
 * charges for an organization that no longer exists. Cancelling twice is harmless: the run
 * reads the subscription first, and again when Stripe refuses the cancel, because Stripe ignores
 * idempotency keys on DELETE and answers "No such subscription" for one that has already ended
 * (cancelled in the Portal meanwhile, or by an attempt whose answer was lost).
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
    if (!stripe) {
      throw new NonRetriableError(
        `Billing is not configured (STRIPE_SECRET_KEY), so subscription ${subscriptionId} of deleted organization ${orgId} must be cancelled in Stripe by hand`,
      );
    }
    const client = stripe;

    const status = await step.run("cancel-seat-subscription", async () => {
      const current = await client.subscriptions.retrieve(subscriptionId);
      if (hasEnded(current.status)) return current.status;
      try {
        const canceled = await client.subscriptions.cancel(subscriptionId, {
          cancellation_details: { comment: `Clerk organization ${orgId} was deleted` },
        });
        return canceled.status;
      } catch (error) {
        if (error instanceof Stripe.errors.StripeInvalidRequestError) {
          const now = await client.subscriptions.retrieve(subscriptionId);
          if (hasEnded(now.status)) return now.status;
          throw new NonRetriableError(
            `Stripe refused to cancel subscription ${subscriptionId}: ${error.message}`,
            { cause: error },
          );
        }
        throw error;
      }
    });
    return { orgId, canceled: subscriptionId, status };
  },
);
