import type Stripe from "stripe";
import { accountLabel, madeBy, type BillingOwner } from "@/lib/billing/ownership";
import { publishPlanToClerk } from "@/lib/billing/session-claims";
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

export interface SavedSubscription extends SubscriptionState, SavedTo {
  /** The deleted Clerk account it belongs to, or null. */
  deletedOwner: DeletedOwner | null;
  /** Another deployment sharing the Stripe account made it (its tag): nothing was written. */
  madeElsewhere: boolean;
}

/** Where a subscription's state was written. */
interface SavedTo {
  /** The row it was written to; both null when no row has its customer (or a newer subscription). */
  userId: string | null;
  orgId: string | null;
  /**
   * The user's plan or status changed from one Stripe reported before: Clerk's metadata (the
   * session claims) must follow.
   */
  userPlanChanged: boolean;
}

/**
 * After the user changed their subscription from the app: our row and the session's claims follow
 * at once, without waiting for Stripe's event (which then finds them written).
 */
export async function applyChangeNow(stripe: Stripe, subscriptionId: string): Promise<void> {
  const saved = await refetchAndSaveSubscription(stripe, subscriptionId);
  if (saved.userId && !saved.deletedOwner && saved.userPlanChanged) {
    await publishPlanToClerk(saved.userId);
  }
}

/** Re-fetches the subscription and writes what Stripe says now. */
export async function refetchAndSaveSubscription(
  stripe: Stripe,
  subscriptionId: string,
): Promise<SavedSubscription> {
  const subscription = await stripe.subscriptions.retrieve(subscriptionId);
  const state = stateOf(subscription);
  if (madeBy(subscription.metadata) === "another") {
    return {
      ...state,
      userId: null,
      orgId: null,
      userPlanChanged: false,
      deletedOwner: null,
      madeElsewhere: true,
    };
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
export async function saveSubscriptionState(state: SubscriptionState): Promise<SavedTo> {
  const owner = state.owner;
  const user = owner && "orgId" in owner ? null : await applySubscriptionToUser(state);
  const orgId = user || (owner && "userId" in owner) ? null : await applySubscriptionToOrg(state);
  return {
    userId: user?.userId ?? null,
    orgId,
    // The first state recorded is provisioning's, which wrote it to Clerk itself.
    userPlanChanged:
      user !== null &&
      user.before.subscriptionStatus !== null &&
      (user.before.tier !== user.after.tier ||
        user.before.subscriptionStatus !== user.after.subscriptionStatus),
  };
}

/**
 * The deleted account the subscription belongs to, by its metadata (what onramp and its Checkout
 * put on every subscription) or by the row its customer is on; null when its owner is not deleted.
 */
async function deletedOwnerOf(
  state: SubscriptionState,
  saved: SavedTo,
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
