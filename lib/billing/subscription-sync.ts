import type Stripe from "stripe";
import { publishPlanToClerk } from "@/lib/billing/session-claims";
import { stateOf, type SubscriptionState } from "@/lib/billing/subscriptions";
import { applySubscriptionToOrg, isOrgDeleted } from "@/lib/orgs/orgs";
import { applySubscriptionToUser, isUserDeleted } from "@/lib/users";

/**
 * Our tables follow Stripe: a subscription is re-fetched and written to the row of the user or
 * org whose customer it is. The subscription sync and the reconciler both write through here.
 */

export interface SavedSubscription extends SubscriptionState, SavedTo {
  /** The deleted Clerk account it belongs to ("user …", "organization …"), or null. */
  deletedOwner: string | null;
}

/** Where a subscription's state was written. */
export interface SavedTo {
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
  const state = stateOf(await stripe.subscriptions.retrieve(subscriptionId));
  const saved = await saveSubscriptionState(state);
  return { ...state, ...saved, deletedOwner: await deletedOwnerOf(state, saved) };
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
async function deletedOwnerOf(state: SubscriptionState, saved: SavedTo): Promise<string | null> {
  const owner = state.owner;
  const userIds = [owner && "userId" in owner ? owner.userId : null, saved.userId];
  const orgIds = [owner && "orgId" in owner ? owner.orgId : null, saved.orgId];
  for (const userId of new Set(userIds)) {
    if (userId && (await isUserDeleted(userId))) return `user ${userId}`;
  }
  for (const orgId of new Set(orgIds)) {
    if (orgId && (await isOrgDeleted(orgId))) return `organization ${orgId}`;
  }
  return null;
}
