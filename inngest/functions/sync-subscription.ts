import { inngest } from "@/inngest/client";
import { subscriptionCreated, subscriptionDeleted, subscriptionUpdated } from "@/inngest/events";
import { deletedComment, refundCutoff } from "@/lib/billing/account-closure";
import { refundPayments } from "@/lib/billing/refunds";
import { isLive } from "@/lib/billing/subscription-status";
import { publishPlanToClerk } from "@/lib/billing/session-claims";
import { refetchAndSaveSubscription, type DeletedOwner } from "@/lib/billing/subscription-sync";
import { cancelSubscriptionNow } from "@/lib/billing/subscriptions";
import { requiredBillingClient } from "@/lib/vendors/stripe";

/**
 * Stripe is the source of truth and its events arrive in any order, so the event only names the
 * subscription: each run re-fetches it and writes what Stripe says now to its user's or org's row.
 * A live subscription of a deleted user or org (a Checkout paid in its last second, a run that
 * slipped past its cancellation) is cancelled on sight, what it collected since the deletion is
 * refunded, and its final state written. Another deployment's subscriptions (its
 * ONRAMP_ENVIRONMENT tag) are left alone.
 */
export const syncSubscription = inngest.createFunction(
  {
    id: "sync-subscription",
    name: "Sync subscription from Stripe",
    triggers: [subscriptionCreated, subscriptionUpdated, subscriptionDeleted],
    // One run per subscription at a time, so every re-fetch is written before the next is made.
    concurrency: { key: "event.data.id", limit: 1 },
    // One Stripe request per run (a few more in the rare run that cancels), within Stripe's 25 a
    // second; a run that changes a user's plan writes it to Clerk too (100 per 10 s).
    throttle: { limit: 10, period: "1s" },
  },
  async ({ event, step, logger }) => {
    const subscriptionId = event.data.id;
    // Stripe's events mean nothing to a server without billing: it cannot re-fetch them.
    const stripe = requiredBillingClient();

    /** A deleted account's live subscription: cancelled now, refunded, its final state written. */
    const cancelOnSight = async ({
      owner,
      label,
      deletedAt,
    }: Omit<DeletedOwner, "deletedAt"> & { deletedAt: string }) => {
      logger.warn(`Subscription ${subscriptionId} is live for deleted ${label}: cancelling`);
      await step.run("cancel-subscription-of-deleted-account", () =>
        cancelSubscriptionNow(stripe, subscriptionId, deletedComment(owner)),
      );
      await step.run("refund-payments-after-deletion", async () =>
        refundPayments(
          stripe,
          subscriptionId,
          owner,
          await refundCutoff(owner, new Date(deletedAt)),
        ),
      );
      return step.run("save-canceled-subscription", () =>
        refetchAndSaveSubscription(stripe, subscriptionId),
      );
    };

    // Re-fetch and write in one step: were they two, another run's write could land in between
    // and the older state would be written last.
    const fetched = await step.run("refetch-and-save-subscription", () =>
      refetchAndSaveSubscription(stripe, subscriptionId),
    );
    if (fetched.madeElsewhere) {
      return { subscriptionId, skipped: "made by another deployment (its onramp_environment)" };
    }

    const { deletedOwner } = fetched;
    const outcome =
      deletedOwner && isLive(fetched.status) ? await cancelOnSight(deletedOwner) : fetched;
    const deleted = deletedOwner ? { deletedOwner: deletedOwner.label } : {};

    // A plan changed in the portal, a trial converted, a payment failed or a plan ended: the
    // session claims follow. The first state recorded came from provisioning, which wrote it.
    const { userId } = outcome;
    if (userId && !deletedOwner && outcome.userPlanChanged) {
      await step.run("update-clerk-metadata", () => publishPlanToClerk(userId));
    }

    if (!outcome.userId && !outcome.orgId) {
      const reason = `no user or org row has Stripe customer ${outcome.stripeCustomerId} (or the row is on a newer subscription)`;
      logger.warn(`Subscription ${subscriptionId} not applied: ${reason}`);
      return {
        subscriptionId,
        skipped: reason,
        ...(deletedOwner ? { ...deleted, status: outcome.status } : {}),
      };
    }
    return {
      subscriptionId,
      appliedTo: outcome.userId ? { userId: outcome.userId } : { orgId: outcome.orgId },
      status: outcome.status,
      tier: outcome.tier,
      seats: outcome.seats,
      ...deleted,
    };
  },
);
