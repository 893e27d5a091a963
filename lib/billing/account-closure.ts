import type Stripe from "stripe";
import { customersOf, type ClerkIdKey } from "@/lib/billing/customers";
import { cancelSubscriptionNow, liveSubscriptionsOf } from "@/lib/billing/subscriptions";
import { PermanentError } from "@/lib/errors";

/**
 * Ending the billing of a Clerk user or organization that was deleted: every live subscription
 * of every customer Stripe holds for it is cancelled now (no proration, no final invoice), and
 * the customers stay, marked, for the accounts. Each function re-reads Stripe before it writes,
 * so a retry or a replay repeats nothing.
 */

export interface ClosedAccount {
  key: ClerkIdKey;
  id: string;
}

/** The metadata key that marks a customer whose Clerk user or org was deleted. */
export const deletedMarkOf = (key: ClerkIdKey) =>
  key === "clerk_user_id" ? "clerk_user_deleted_at" : "clerk_org_deleted_at";

/**
 * The account's customers: the one our row records and every one Stripe holds for its Clerk id
 * (our row may never have recorded one, e.g. its write was lost or the deletion came first).
 * Without billing there is nothing to search; a recorded customer then needs an operator.
 */
export async function customersOfAccount(
  stripe: Stripe | null,
  account: ClosedAccount,
  recorded: string | null,
): Promise<string[]> {
  if (!stripe) {
    if (!recorded) return [];
    throw new PermanentError(
      `Billing is not configured on this server (STRIPE_SECRET_KEY): cancel the subscriptions of Stripe customer ${recorded} by hand`,
    );
  }
  const found = await customersOf(stripe, account.key, account.id);
  return [...new Set([...(recorded ? [recorded] : []), ...found])];
}

/** Cancels every live subscription of the customers now; what each ended with. */
export async function cancelLiveSubscriptions(
  stripe: Stripe,
  customerIds: string[],
  comment: string,
): Promise<{ id: string; status: string }[]> {
  const canceled: { id: string; status: string }[] = [];
  for (const customerId of customerIds) {
    for (const subscription of await liveSubscriptionsOf(stripe, customerId)) {
      const status = await cancelSubscriptionNow(stripe, subscription.id, comment);
      canceled.push({ id: subscription.id, status });
    }
  }
  return canceled;
}

/**
 * Marks the customer as belonging to a deleted account (metadata `clerk_user_deleted_at` or
 * `clerk_org_deleted_at`, the first deletion time), so Stripe's dashboard and the reconciler know.
 * A customer already marked, or deleted in Stripe, is left alone. Returns whether it was written.
 */
export async function markCustomerDeleted(
  stripe: Stripe,
  customerId: string,
  account: ClosedAccount,
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
