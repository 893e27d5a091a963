import { NonRetriableError } from "inngest";
import Stripe from "stripe";
import { inngest } from "@/inngest/client";
import { subscriptionCreated, subscriptionDeleted, subscriptionUpdated } from "@/inngest/events";
import { priceFor, tiers } from "@/lib/billing/plans";
import { hasEnded } from "@/lib/billing/subscription-status";
import { applySubscriptionToOrg } from "@/lib/orgs";
import { stripe } from "@/lib/stripe";
import { applySubscriptionToUser, type SubscriptionState } from "@/lib/users";

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
    if (!stripe) {
      throw new NonRetriableError(
        "Billing is not configured (STRIPE_SECRET_KEY), so the subscription cannot be re-fetched",
      );
    }
    const client = stripe;
    const subscriptionId = event.data.id;

    // Re-fetch and write in one step: were they two, another run's write could land in between
    // and the older state would be written last.
    const outcome = await step.run("refetch-and-save-subscription", async () => {
      const state = stateOf(await retrieve(client, subscriptionId));
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

async function retrieve(client: Stripe, subscriptionId: string) {
  try {
    return await client.subscriptions.retrieve(subscriptionId);
  } catch (error) {
    if (error instanceof Stripe.errors.StripeInvalidRequestError) {
      const reason = `Stripe cannot return subscription ${subscriptionId}: ${error.message}`;
      throw new NonRetriableError(reason, { cause: error });
    }
    throw error;
  }
}

function stateOf(subscription: Stripe.Subscription): SubscriptionState {
  const items = subscription.items.data;
  // The item on a catalogue price is the plan; otherwise the first item stands for it.
  const planItem = items.find((item) => tierOf(item.price.id)) ?? items[0];
  const ended = hasEnded(subscription.status);
  return {
    stripeCustomerId:
      typeof subscription.customer === "string" ? subscription.customer : subscription.customer.id,
    stripeSubscriptionId: subscription.id,
    status: subscription.status,
    tier: planItem ? (tierOf(planItem.price.id) ?? null) : null,
    seats: ended ? 0 : (planItem?.quantity ?? 0),
    trialEndsAt: subscription.trial_end ? new Date(subscription.trial_end * 1000) : null,
    ended,
  };
}

const tierOf = (priceId: string) => tiers.find((tier) => priceFor(tier) === priceId);
