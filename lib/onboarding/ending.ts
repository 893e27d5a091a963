import type Stripe from "stripe";
import {
  cancelLiveSubscriptions,
  customersOfAccount,
  type Canceled,
} from "@/lib/billing/account-closure";
import { belongsTo, type BillingOwner } from "@/lib/billing/ownership";
import { refundPayments, type Refund } from "@/lib/billing/refunds";
import { subscriptionsOf } from "@/lib/billing/subscriptions";
import { findUserStripeCustomerId } from "@/lib/users";
import { onboardingRecords } from "./progress";

/**
 * A provisioning run that fails for good ends what it started: the user is not onboarded, so
 * nothing may keep charging them. Every subscription onramp made for them is cancelled (no
 * proration, no final invoice: a trial never converts) and whatever they paid is refunded. Only
 * the run that owns the user's onboarding does this: a run another one took over from leaves the
 * newer run's subscription alone.
 */

/** What a failed onboarding left in Stripe, now ended. */
export interface EndedBilling {
  canceled: Canceled[];
  refunded: Refund[];
}

/** Ends the billing run `runId` started for the user; null when another run owns the onboarding. */
export async function endFailedOnboardingBilling(
  stripe: Stripe,
  userId: string,
  runId: string,
): Promise<EndedBilling | null> {
  if ((await onboardingRecords([userId])).get(userId)?.runId !== runId) return null;
  // A run that made no customer (the step that makes one records it) started nothing in Stripe.
  const recorded = await findUserStripeCustomerId(userId);
  if (!recorded) return { canceled: [], refunded: [] };
  const owner: BillingOwner = { key: "clerk_user_id", id: userId };
  const ours = (subscription: Stripe.Subscription) => belongsTo(subscription.metadata, owner);
  const customers = await customersOfAccount(stripe, owner, recorded);
  const canceled = await cancelLiveSubscriptions(
    stripe,
    customers,
    "onramp could not finish setting up this account",
    ours,
  );
  const refunded: Refund[] = [];
  for (const customerId of customers) {
    for (const subscription of (await subscriptionsOf(stripe, customerId)).filter(ours)) {
      refunded.push(...(await refundPayments(stripe, subscription.id, owner, null)));
    }
  }
  return { canceled, refunded };
}

/** What the user reads about their money once their onboarding has failed. */
export function chargesAfterFailure(ended: EndedBilling | null): string {
  if (ended && ended.refunded.length > 0) {
    return `We have refunded the ${amounts(ended.refunded)} we charged and cancelled your subscription, so nothing more will be charged.`;
  }
  if (ended && ended.canceled.length > 0) {
    return "We have cancelled the subscription we had started, so your card will not be charged.";
  }
  return "Your card has not been charged.";
}

/** "$99.00", "$29.00 and €10.00": the refunds, by currency. */
function amounts(refunds: Refund[]): string {
  const byCurrency = new Map<string, number>();
  for (const { currency, amount } of refunds) {
    byCurrency.set(currency, (byCurrency.get(currency) ?? 0) + amount);
  }
  const formatted = [...byCurrency].map(([currency, amount]) => {
    const format = new Intl.NumberFormat("en-US", {
      style: "currency",
      currency: currency.toUpperCase(),
    });
    // Stripe counts in the currency's smallest unit (cents; yen have none).
    return format.format(amount / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
  });
  return formatted.join(" and ");
}
