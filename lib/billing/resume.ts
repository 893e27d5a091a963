import { PermanentError } from "@/lib/errors";
import { applyChangeNow } from "@/lib/billing/subscription-sync";
import { hasEnded } from "@/lib/billing/subscription-status";
import { ensureUserNotDeleted, findUserSubscriptionId } from "@/lib/users";
import { requiredBillingClient } from "@/lib/vendors/stripe";

/**
 * Resuming a plan cancelled at the end of its period, before that end: Stripe is told to renew
 * it after all (`cancel_at_period_end` false, or a `cancel_at` cleared). Setting it twice is the
 * same as once, and the key makes a repeated request Stripe's first answer. The row and the
 * session's claims follow at once; Stripe's customer.subscription.updated confirms them.
 */
export async function resumeSubscription(userId: string): Promise<void> {
  await ensureUserNotDeleted(userId);
  const subscriptionId = await findUserSubscriptionId(userId);
  if (!subscriptionId) throw new PermanentError("You have no plan to resume.");
  const stripe = requiredBillingClient();
  const subscription = await stripe.subscriptions.retrieve(subscriptionId);
  if (hasEnded(subscription.status)) {
    throw new PermanentError("Your plan has already ended: subscribe again instead.");
  }
  if (subscription.cancel_at_period_end || subscription.cancel_at) {
    await stripe.subscriptions.update(
      subscriptionId,
      subscription.cancel_at_period_end ? { cancel_at_period_end: false } : { cancel_at: "" },
      {
        idempotencyKey: `resume:${userId}:${subscriptionId}:${subscription.cancel_at ?? "period-end"}`,
      },
    );
  }
  await applyChangeNow(stripe, subscriptionId);
}
