import { and, eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { onboardingSteps, users } from "@/lib/db/schema";

/**
 * Why the trial-offer email should not go to this user, or null when it should: they are still
 * trialing. Stripe's subscription events (users.subscription_status) are the source of truth;
 * until the first one arrives, the provisioning record says whether a trial was started.
 */
export async function trialOfferSkipReason(userId: string): Promise<string | null> {
  const db = await getDb();
  const [[user], [subscriptionStep]] = await Promise.all([
    db
      .select({ deletedAt: users.deletedAt, subscriptionStatus: users.subscriptionStatus })
      .from(users)
      .where(eq(users.clerkUserId, userId)),
    db
      .select({ status: onboardingSteps.status })
      .from(onboardingSteps)
      .where(
        and(eq(onboardingSteps.clerkUserId, userId), eq(onboardingSteps.stepId, "subscription")),
      ),
  ]);
  if (user?.deletedAt) return "the account was deleted";
  if (user?.subscriptionStatus) {
    return user.subscriptionStatus === "trialing"
      ? null
      : `the subscription is ${user.subscriptionStatus}, no longer trialing`;
  }
  return subscriptionStep?.status === "done" ? null : "no trial was started";
}

/**
 * Where the trial offer goes, days after sign-up: the user's primary address as the users row
 * has it now (sync-user keeps it from Clerk's user.created and user.updated, the newest winning),
 * so a changed address is used; the address given at sign-up while the row holds nothing from
 * Clerk yet. Null when the user has no email address any more. Our row rather than a Clerk call:
 * no vendor request (or rate limit, or outage) per email, and the row is what every other
 * decision about the user reads.
 */
export async function trialOfferRecipient(
  userId: string,
  signUpAddress: string,
): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .select({ email: users.email, syncedFromClerk: users.clerkUpdatedAt })
    .from(users)
    .where(eq(users.clerkUserId, userId));
  return row?.syncedFromClerk ? row.email : signUpAddress;
}
