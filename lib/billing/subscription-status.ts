import type Stripe from "stripe";

/**
 * What a Stripe subscription status means for access, in one place so the subscription sync and
 * seat licensing agree.
 */

/** Statuses under which the subscription grants access (past_due: Stripe is still retrying). */
export const payingStatuses: readonly Stripe.Subscription.Status[] = [
  "active",
  "trialing",
  "past_due",
];

/** Statuses after which the subscription pays for nothing and never will again. */
const endedStatuses: readonly Stripe.Subscription.Status[] = ["canceled", "incomplete_expired"];

export const isPaying = (status: string | null | undefined): boolean =>
  payingStatuses.some((paying) => paying === status);

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
