import type { Tier } from "@/lib/billing/plans";
import { AccountDeletedError } from "@/lib/errors";
import { ensureUserNotDeleted } from "@/lib/users";
import { classifyClerkError, clerk } from "@/lib/vendors/clerk";

/** What the workflow writes back to the user's Clerk publicMetadata (the session's `metadata`). */
export interface OnboardedMetadata {
  onboardingComplete: true;
  tier?: Tier;
  stripeCustomerId?: string;
  stripeSubscriptionId?: string;
  /** Stripe's status of the subscription: what the entitlement check reads from the claims. */
  subscriptionStatus?: string;
}

/**
 * The one Clerk write of provisioning: publicMetadata gains the onboarding result and the
 * ConfirmationToken leaves unsafeMetadata. `PATCH /v1/users/{id}/metadata` deep-merges, and a
 * null value removes its key, so the rest of the user's metadata is left as it is.
 */
export async function completeClerkOnboarding(userId: string, metadata: OnboardedMetadata) {
  await ensureUserNotDeleted(userId);
  try {
    await clerk.users.updateUserMetadata(userId, {
      publicMetadata: { ...metadata },
      unsafeMetadata: { confirmationToken: null },
    });
  } catch (error) {
    const failure = classifyClerkError(error);
    if (failure?.kind === "permanent" && failure.code === "not_found") {
      throw new AccountDeletedError(userId, { cause: error });
    }
    throw error;
  }
}

/** The tier key the sign-up form left in the user's unsafeMetadata (the browser's word: check it). */
export async function tierChosenAtSignUp(userId: string): Promise<unknown> {
  return (await clerk.users.getUser(userId)).unsafeMetadata.tier;
}
