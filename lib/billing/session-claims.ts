import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { classifyClerkError, clerk } from "@/lib/vendors/clerk";

/**
 * The plan in the session claims: Clerk's public metadata (the claim `metadata`) carries the
 * user's tier and Stripe's status of their subscription, so pages decide what the user may use
 * without reading the database (lib/billing/entitlements). Provisioning writes them when it
 * finishes; after that, every change Stripe reports is written here from the users row.
 */

export type Published = "written" | "skipped: the account was deleted";

/**
 * Writes the user's tier and subscription status, as the users row has them now, to their Clerk
 * metadata (a deep merge: the rest of it stays). Nothing for a user deleted in Clerk, or gone
 * from it already (its deletion is on its way).
 */
export async function publishPlanToClerk(userId: string): Promise<Published> {
  const db = await getDb();
  const [row] = await db
    .select({
      tier: users.tier,
      subscriptionStatus: users.subscriptionStatus,
      deletedAt: users.deletedAt,
    })
    .from(users)
    .where(eq(users.clerkUserId, userId));
  if (!row || row.deletedAt) return "skipped: the account was deleted";
  try {
    await clerk.users.updateUserMetadata(userId, {
      publicMetadata: {
        ...(row.tier ? { tier: row.tier } : {}),
        subscriptionStatus: row.subscriptionStatus,
      },
    });
    return "written";
  } catch (error) {
    const failure = classifyClerkError(error);
    if (failure?.kind === "permanent" && failure.code === "not_found") {
      return "skipped: the account was deleted";
    }
    throw error;
  }
}
