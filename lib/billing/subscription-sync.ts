import type Stripe from "stripe";
import { accountLabel, madeBy, type BillingOwner } from "@/lib/billing/ownership";
import { stateOf, type SubscriptionState } from "@/lib/billing/subscriptions";
import { applySubscriptionToOrg, orgDeletedAt } from "@/lib/orgs/orgs";
import { applySubscriptionToUser, userDeletedAt } from "@/lib/users";

/**
 * Our tables follow Stripe: a subscription is re-fetched and written to the row of the user or
 * org whose customer it is. The subscription sync and the reconciler both write through here.
 * Another deployment's subscriptions (one Stripe account, several environments) are left alone.
 */

/** A deleted Clerk account, and when it was deleted. */
export interface DeletedOwner {
  owner: BillingOwner;
  /** "user …" or "organization …" */
  label: string;
  deletedAt: Date;
}

export interface SavedSubscription extends SubscriptionState {
  /** The row it was written to; both null when no row has its customer (or a newer subscription). */
  userId: string | null;
  orgId: string | null;
  /** The deleted Clerk account it belongs to, or null. */
  deletedOwner: DeletedOwner | null;
  /** Another deployment sharing the Stripe account made it (its tag): nothing was written. */
  madeElsewhere: boolean;
}

/** Re-fetches the subscription and writes what Stripe says now. */
export async function refetchAndSaveSubscription(
  stripe: Stripe,
  subscriptionId: string,
): Promise<SavedSubscription> {
  const subscription = await stripe.subscriptions.retrieve(subscriptionId);
  const state = stateOf(subscription);
  if (madeBy(subscription.metadata) === "another") {
    return { ...state, userId: null, orgId: null, deletedOwner: null, madeElsewhere: true };
  }
  const saved = await saveSubscriptionState(state);
  const deletedOwner = await deletedOwnerOf(state, saved);
  return { ...state, ...saved, deletedOwner, madeElsewhere: false };
}

/**
 * Writes the subscription's state to the row of the account its metadata names (onramp and its
 * Checkout put `clerk_user_id` or `clerk_org_id` on every subscription they create); one made
 * elsewhere, without that metadata, goes to whichever row has its customer.
 */
export async function saveSubscriptionState(
  state: SubscriptionState,
): Promise<{ userId: string | null; orgId: string | null }> {
  const owner = state.owner;
  const userId = owner && "orgId" in owner ? null : await applySubscriptionToUser(state);
  const orgId = userId || (owner && "userId" in owner) ? null : await applySubscriptionToOrg(state);
  return { userId, orgId };
}

/**
 * The deleted account the subscription belongs to, by its metadata (what onramp and its Checkout
 * put on every subscription) or by the row its customer is on; null when its owner is not deleted.
 */
async function deletedOwnerOf(
  state: SubscriptionState,
  saved: { userId: string | null; orgId: string | null },
): Promise<DeletedOwner | null> {
  const owner = state.owner;
  const candidates: BillingOwner[] = [
    ...new Set([owner && "userId" in owner ? owner.userId : null, saved.userId]),
  ]
    .filter((id): id is string => Boolean(id))
    .map((id): BillingOwner => ({ key: "clerk_user_id", id }));
  for (const id of new Set([owner && "orgId" in owner ? owner.orgId : null, saved.orgId])) {
    if (id) candidates.push({ key: "clerk_org_id", id });
  }
  for (const candidate of candidates) {
    const deletedAt =
      candidate.key === "clerk_user_id"
        ? await userDeletedAt(candidate.id)
        : await orgDeletedAt(candidate.id);
    if (deletedAt) return { owner: candidate, label: accountLabel(candidate), deletedAt };
  }
  return null;
}
