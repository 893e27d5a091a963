import { isClerkAPIResponseError } from "@clerk/backend/errors";
import { NonRetriableError, RetryAfterError } from "inngest";
import type { Tier } from "@/lib/billing/plans";
import { clerk } from "@/lib/clerk";

/** What the workflow writes back to the user's Clerk publicMetadata (the session's `metadata`). */
export interface OnboardedMetadata {
  onboardingComplete: true;
  tier?: Tier;
  stripeCustomerId?: string;
  stripeSubscriptionId?: string;
}

/**
 * The one Clerk write of provisioning: publicMetadata gains the onboarding result and the
 * ConfirmationToken leaves unsafeMetadata. `PATCH /v1/users/{id}/metadata` deep-merges, and a
 * null value removes its key, so the rest of the user's metadata is left as it is.
 */
export async function completeClerkOnboarding(userId: string, metadata: OnboardedMetadata) {
  try {
    await clerk.users.updateUserMetadata(userId, {
      publicMetadata: { ...metadata },
      unsafeMetadata: { confirmationToken: null },
    });
  } catch (error) {
    throw classifyClerkError(error, userId);
  }
}

/**
 * Clerk's SDK does not retry. A 429 retries after the Retry-After Clerk sent; a user that is gone
 * or a request Clerk rejects never succeeds, so it does not retry; anything else (5xx, network)
 * retries on Inngest's schedule.
 */
function classifyClerkError(error: unknown, userId: string): unknown {
  if (!isClerkAPIResponseError(error)) return error;
  if (error.status === 429) {
    return new RetryAfterError("Clerk rate limit reached", (error.retryAfter ?? 10) * 1000, {
      cause: error,
    });
  }
  if (error.status === 404) {
    return new NonRetriableError(`The account ${userId} no longer exists`, { cause: error });
  }
  if (error.status >= 400 && error.status < 500) {
    return new NonRetriableError(`Clerk refused the update: ${error.message}`, { cause: error });
  }
  return error;
}
