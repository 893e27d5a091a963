import type Stripe from "stripe";

/**
 * What a Stripe subscription status means for money: whether it can still charge, and whether it
 * has ended for good. What it means for access is lib/billing/entitlements.ts.
 */

/** Statuses after which the subscription pays for nothing and never will again. */
const endedStatuses: readonly Stripe.Subscription.Status[] = ["canceled", "incomplete_expired"];

export const hasEnded = (status: string | null | undefined): boolean =>
  endedStatuses.some((ended) => ended === status);

/** Statuses of a subscription that can still charge (or will once the trial or a retry ends). */
export const liveStatuses: readonly Stripe.Subscription.Status[] = [
  "trialing",
  "active",
  "past_due",
  "unpaid",
  "incomplete",
  "paused",
];

export const isLive = (status: string | null | undefined): boolean =>
  liveStatuses.some((live) => live === status);
