import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";

/** What the dashboard shows about a user's plan, as the webhooks and workflows left it. */
export interface BillingAccount {
  email: string | null;
  tier: string | null;
  subscriptionStatus: string | null;
  trialEndsAt: Date | null;
  /** The next renewal, or the end of a plan cancelled at its period's end. */
  currentPeriodEnd: Date | null;
  /** When a plan cancelled ahead of time ends; null while it renews. */
  cancelsAt: Date | null;
  stripeCustomerId: string | null;
}

export async function billingAccount(userId: string): Promise<BillingAccount | null> {
  const db = await getDb();
  const [row] = await db
    .select({
      email: users.email,
      tier: users.tier,
      subscriptionStatus: users.subscriptionStatus,
      trialEndsAt: users.trialEndsAt,
      currentPeriodEnd: users.currentPeriodEnd,
      cancelsAt: users.cancelsAt,
      stripeCustomerId: users.stripeCustomerId,
    })
    .from(users)
    .where(eq(users.clerkUserId, userId));
  return row ?? null;
}
