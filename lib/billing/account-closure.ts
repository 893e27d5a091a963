import type Stripe from "stripe";
import { customersOf } from "@/lib/billing/customers";
import { accountLabel, type BillingOwner, type ClerkIdKey } from "@/lib/billing/ownership";
import { refundPayments, type Refund } from "@/lib/billing/refunds";
import {
  cancelSubscriptionNow,
  liveSubscriptionsOf,
  subscriptionsOf,
} from "@/lib/billing/subscriptions";
import { eraseStoredEmails } from "@/lib/email/erase";
import { hasCompletedOnboarding } from "@/lib/onboarding/progress";
import { clearCheckoutClaim, expireOpenCheckouts } from "@/lib/orgs/checkout";
import { markOrgDeleted } from "@/lib/orgs/orgs";
import { eraseUserProfile, markUserDeleted } from "@/lib/users";

/**
 * Ending the billing of a Clerk user or organization that was deleted: every live subscription
 * of every customer Stripe holds for it is cancelled now (no proration, no final invoice), what
 * it paid for nothing is refunded, and the customers stay, marked, for the accounts. Each
 * function re-reads Stripe before it writes, so a retry or a replay repeats nothing.
 */

/** The metadata key that marks a customer whose Clerk user or org was deleted. */
export const deletedMarkOf = (key: ClerkIdKey) =>
  key === "clerk_user_id" ? "clerk_user_deleted_at" : "clerk_org_deleted_at";

/**
 * The account's customers: the one our row records and every one this deployment made for its
 * Clerk id (our row may never have recorded one, e.g. its write was lost or the deletion came
 * first).
 */
export async function customersOfAccount(
  stripe: Stripe,
  account: BillingOwner,
  recorded: string | null,
): Promise<string[]> {
  const found = await customersOf(stripe, account);
  return [...new Set([...(recorded ? [recorded] : []), ...found])];
}

/** A subscription cancelled, and the status it ended with. */
export interface Canceled {
  id: string;
  status: string;
}

/**
 * Cancels the live subscriptions of the customers that `which` picks (every one by default) now;
 * what each ended with.
 */
export async function cancelLiveSubscriptions(
  stripe: Stripe,
  customerIds: string[],
  comment: string,
  which: (subscription: Stripe.Subscription) => boolean = () => true,
): Promise<Canceled[]> {
  const canceled: Canceled[] = [];
  for (const customerId of customerIds) {
    for (const subscription of await liveSubscriptionsOf(stripe, customerId)) {
      if (!which(subscription)) continue;
      const status = await cancelSubscriptionNow(stripe, subscription.id, comment);
      canceled.push({ id: subscription.id, status });
    }
  }
  return canceled;
}

/**
 * Since when a deleted account gets its payments back: an organization, and a user who used the
 * product, what was paid after the deletion (a Checkout paid while it was processed, a first
 * charge landing as it arrived); a user who was never onboarded got nothing for any payment.
 */
export async function refundCutoff(account: BillingOwner, deletedAt: Date): Promise<Date | null> {
  if (account.key === "clerk_user_id" && !(await hasCompletedOnboarding(account.id))) return null;
  return deletedAt;
}

/** Refunds what the deleted account paid since its cutoff, on every subscription of its customers. */
export async function refundDeletedAccount(
  stripe: Stripe,
  account: BillingOwner,
  customerIds: string[],
  deletedAt: Date,
): Promise<Refund[]> {
  const since = await refundCutoff(account, deletedAt);
  const refunds: Refund[] = [];
  for (const customerId of customerIds) {
    for (const subscription of await subscriptionsOf(stripe, customerId)) {
      refunds.push(...(await refundPayments(stripe, subscription.id, account, since)));
    }
  }
  return refunds;
}

/**
 * Marks the customer as belonging to a deleted account (metadata `clerk_user_deleted_at` or
 * `clerk_org_deleted_at`, the first deletion time), so Stripe's dashboard and the reconciler know.
 * A customer already marked, or deleted in Stripe, is left alone. Returns whether it was written.
 */
export async function markCustomerDeleted(
  stripe: Stripe,
  customerId: string,
  account: BillingOwner,
  deletedAt: Date,
): Promise<boolean> {
  const mark = deletedMarkOf(account.key);
  const customer = await stripe.customers.retrieve(customerId);
  if (customer.deleted || customer.metadata[mark]) return false;
  await stripe.customers.update(
    customerId,
    { metadata: { [mark]: deletedAt.toISOString() } },
    { idempotencyKey: `${mark}:${customerId}` },
  );
  return true;
}

/**
 * Closes an account Clerk no longer has, as close-deleted-user or close-deleted-organization
 * would have on its user.deleted or organization.deleted: tombstone (a user's personal data
 * erased), an org's open Checkouts expired, the customer marked. Its subscriptions are cancelled
 * by the reconciler's repairs.
 */
export async function closeAccount(
  stripe: Stripe,
  owner: BillingOwner,
  customerId: string,
  closedAt: Date,
) {
  if (owner.key === "clerk_user_id") {
    await markUserDeleted(owner.id, closedAt);
    await eraseUserProfile(owner.id);
    await eraseStoredEmails(owner.id);
  } else {
    await markOrgDeleted(owner.id, closedAt);
    await clearCheckoutClaim(owner.id);
    await expireOpenCheckouts(stripe, customerId);
  }
  await markCustomerDeleted(stripe, customerId, owner, closedAt);
}

/** Why a deleted account's subscription was cancelled, in Stripe's cancellation comment. */
export const deletedComment = (account: BillingOwner) =>
  `Clerk ${accountLabel(account)} was deleted`;
