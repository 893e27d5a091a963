import { eq, isNull, or, type AnyColumn } from "drizzle-orm";
import type Stripe from "stripe";
import { seatPrice, tierOfPrice } from "@/lib/billing/plans";
import { hasEnded, isLive } from "@/lib/billing/subscription-status";
import { classifyStripeError, idOf } from "@/lib/vendors/stripe";

/** A Stripe subscription as our tables keep it: what the subscription sync writes. */
export interface SubscriptionState {
  stripeCustomerId: string;
  stripeSubscriptionId: string;
  status: string;
  /** Whose it is, from the metadata onramp puts on every subscription it creates. */
  owner: { userId: string } | { orgId: string } | null;
  /** The tier whose price the subscription is on; null when the price is not in the catalogue. */
  tier: string | null;
  /** Licenses paid for: the seat item's quantity, 0 once the subscription has ended. */
  seats: number;
  trialEndsAt: Date | null;
  /** When the current billing period ends (the next renewal, or the end of a cancelled plan). */
  currentPeriodEnd: Date | null;
  /** When a subscription cancelled ahead of time ends; null while it renews (or has ended). */
  cancelsAt: Date | null;
  /** canceled or incomplete_expired: it no longer pays for anything. */
  ended: boolean;
}

const dateOf = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000) : null);

export function stateOf(subscription: Stripe.Subscription): SubscriptionState {
  const items = subscription.items.data;
  const ended = hasEnded(subscription.status);
  const seatItem = items.find((item) => item.price.id === seatPrice());
  // The item on a catalogue price is the plan; otherwise the first item stands for it.
  const planItem = items.find((item) => tierOfPrice(item.price.id)) ?? items[0];
  const { clerk_user_id: userId, clerk_org_id: orgId } = subscription.metadata ?? {};
  return {
    stripeCustomerId: idOf(subscription.customer),
    stripeSubscriptionId: subscription.id,
    status: subscription.status,
    owner: userId ? { userId } : orgId ? { orgId } : null,
    tier: planItem ? (tierOfPrice(planItem.price.id) ?? null) : null,
    seats: ended ? 0 : ((seatItem ?? planItem)?.quantity ?? 0),
    trialEndsAt: dateOf(subscription.trial_end),
    currentPeriodEnd: dateOf(planItem?.current_period_end),
    cancelsAt: ended
      ? null
      : dateOf(
          subscription.cancel_at ??
            (subscription.cancel_at_period_end ? planItem?.current_period_end : null),
        ),
    ended,
  };
}

/**
 * An ended subscription only speaks for the row it is current on (or a row with none yet), so a
 * late cancellation of an old subscription cannot overwrite its live successor.
 */
export function notSuperseded(column: AnyColumn, state: SubscriptionState) {
  return state.ended ? or(isNull(column), eq(column, state.stripeSubscriptionId)) : undefined;
}

/** Every subscription of the customer, ended ones too, newest first, as Stripe has them now. */
export async function subscriptionsOf(
  stripe: Stripe,
  customerId: string,
): Promise<Stripe.Subscription[]> {
  const all: Stripe.Subscription[] = [];
  for await (const subscription of stripe.subscriptions.list({
    customer: customerId,
    status: "all",
    limit: 100,
  })) {
    all.push(subscription);
  }
  return all;
}

/** Every subscription of the customer that can still charge, as Stripe has them now. */
export async function liveSubscriptionsOf(
  stripe: Stripe,
  customerId: string,
): Promise<Stripe.Subscription[]> {
  return (await subscriptionsOf(stripe, customerId)).filter((s) => isLive(s.status));
}

/**
 * Cancels the subscription at once, without proration and without a final invoice, so a trial
 * never converts. Stripe ignores idempotency keys on cancellation, so it is re-read first, and a
 * refusal because it has ended meanwhile is success. Returns the status it ended with.
 */
export async function cancelSubscriptionNow(
  stripe: Stripe,
  subscriptionId: string,
  comment: string,
): Promise<string> {
  const current = await stripe.subscriptions.retrieve(subscriptionId);
  if (hasEnded(current.status)) return current.status;
  try {
    const canceled = await stripe.subscriptions.cancel(subscriptionId, {
      invoice_now: false,
      prorate: false,
      cancellation_details: { comment },
    });
    return canceled.status;
  } catch (error) {
    if (classifyStripeError(error)?.kind !== "permanent") throw error;
    const after = await stripe.subscriptions.retrieve(subscriptionId);
    if (hasEnded(after.status)) return after.status;
    throw error;
  }
}
