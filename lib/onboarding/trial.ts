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
