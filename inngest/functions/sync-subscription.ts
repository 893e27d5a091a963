import { inngest } from "@/inngest/client";
import { subscriptionCreated, subscriptionDeleted, subscriptionUpdated } from "@/inngest/events";
import { stateOf } from "@/lib/billing/subscriptions";
import { applySubscriptionToOrg } from "@/lib/orgs/orgs";
import { applySubscriptionToUser } from "@/lib/users";
import { requireStripe } from "@/lib/vendors/stripe";

/**
 * Stripe is the source of truth and its events arrive in any order, so the event only names the
 * subscription: each run re-fetches it and writes what Stripe says now to its user's or org's row.
 */
export const syncSubscription = inngest.createFunction(
  {
    id: "sync-subscription",
    name: "Sync subscription from Stripe",
    triggers: [subscriptionCreated, subscriptionUpdated, subscriptionDeleted],
    // One run per subscription at a time, so every re-fetch is written before the next is made.
    concurrency: { key: "event.data.id", limit: 1 },
    // One Stripe request per run, within Stripe's 25 requests per second.
    throttle: { limit: 25, period: "1s" },
  },
  async ({ event, step, logger }) => {
    const subscriptionId = event.data.id;

    // Re-fetch and write in one step: were they two, another run's write could land in between
    // and the older state would be written last.
    const outcome = await step.run("refetch-and-save-subscription", async () => {
      const state = stateOf(await requireStripe().subscriptions.retrieve(subscriptionId));
      const userId = await applySubscriptionToUser(state);
      const orgId = userId ? null : await applySubscriptionToOrg(state);
      return { ...state, userId, orgId };
    });

    if (!outcome.userId && !outcome.orgId) {
      const reason = `no user or org row has Stripe customer ${outcome.stripeCustomerId} (or the row is on a newer subscription)`;
      logger.warn(`Subscription ${subscriptionId} not applied: ${reason}`);
      return { subscriptionId, skipped: reason };
    }
    return {
      subscriptionId,
      appliedTo: outcome.userId ? { userId: outcome.userId } : { orgId: outcome.orgId },
      status: outcome.status,
      tier: outcome.tier,
      seats: outcome.seats,
    };
  },
);
