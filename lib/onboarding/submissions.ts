import { and, desc, eq, notInArray } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { onboardingSubmissions } from "@/lib/db/schema";

/**
 * What the onboarding pages submitted to a waiting provisioning run. Stored before the event is
 * sent, so a submission whose event came before the run began to wait is found here.
 */

export interface PaymentDetails {
  tier: string;
  confirmationToken: string;
}

/** Stores a new plan and card; a double submit of the same card is one row. */
export async function storePaymentDetails(userId: string, details: PaymentDetails) {
  const db = await getDb();
  await db
    .insert(onboardingSubmissions)
    .values({
      clerkUserId: userId,
      kind: "payment_details",
      reference: details.confirmationToken,
      tier: details.tier,
    })
    .onConflictDoNothing();
}

/**
 * Stores the browser's word that 3-D Secure of this SetupIntent (saving the card) or PaymentIntent
 * (paying the first invoice) is over.
 */
export async function storeCardConfirmation(userId: string, intentId: string) {
  const db = await getDb();
  await db
    .insert(onboardingSubmissions)
    .values({ clerkUserId: userId, kind: "card_confirmation", reference: intentId })
    .onConflictDoNothing();
}

/** The newest plan and card submitted with a token the run has not tried yet, or null. */
export async function untriedPaymentDetails(
  userId: string,
  triedTokens: string[],
): Promise<PaymentDetails | null> {
  const db = await getDb();
  const [row] = await db
    .select({
      tier: onboardingSubmissions.tier,
      confirmationToken: onboardingSubmissions.reference,
    })
    .from(onboardingSubmissions)
    .where(
      and(
        eq(onboardingSubmissions.clerkUserId, userId),
        eq(onboardingSubmissions.kind, "payment_details"),
        triedTokens.length > 0
          ? notInArray(onboardingSubmissions.reference, triedTokens)
          : undefined,
      ),
    )
    .orderBy(desc(onboardingSubmissions.submittedAt))
    .limit(1);
  return row ? { tier: row.tier ?? "", confirmationToken: row.confirmationToken } : null;
}

/** Whether the browser said 3-D Secure of this SetupIntent or PaymentIntent is over. */
export async function cardConfirmationStored(userId: string, intentId: string) {
  const db = await getDb();
  const rows = await db
    .select({ id: onboardingSubmissions.id })
    .from(onboardingSubmissions)
    .where(
      and(
        eq(onboardingSubmissions.clerkUserId, userId),
        eq(onboardingSubmissions.kind, "card_confirmation"),
        eq(onboardingSubmissions.reference, intentId),
      ),
    );
  return rows.length > 0;
}
