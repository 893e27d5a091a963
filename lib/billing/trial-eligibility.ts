import { and, eq, or } from "drizzle-orm";
import type Stripe from "stripe";
import { getDb } from "@/lib/db/client";
import { trialGrants } from "@/lib/db/schema";
import { keyedHash } from "@/lib/keyed-hash";

/**
 * One free trial per person: a trial is granted once per card (Stripe's card fingerprint, the
 * same for a card number in one Stripe account) and once per verified email address. What is
 * kept for this, also after the account is deleted, is a keyed hash of each (trial_grants), never
 * the card or the address: a stolen table names no one, and only this deployment's secret can
 * test a value against it.
 */

/** Why a trial was withheld, in the words the progress page shows. */
export const trialWithheld =
  "You have had a free trial before, so your plan starts today and your card is charged now.";

/**
 * An address as one mailbox: trimmed, lower-cased, and without a "+tag" (ada+trial2@ and ada@
 * are the same inbox).
 */
function mailbox(address: string): string {
  const [local = "", domain = ""] = address.trim().toLowerCase().split("@");
  return `${local.replace(/\+.*$/, "")}@${domain}`;
}

/**
 * Whether the user may have a trial: claims the card's and the verified address's hashes for
 * them, and answers true when every one is theirs (claimed now, or by an earlier attempt of their
 * own run). A hash another account claimed first, deleted or not, withholds the trial.
 */
export async function claimTrial(
  stripe: Stripe,
  input: { userId: string; paymentMethodId: string; verifiedEmail: string | null },
): Promise<boolean> {
  const card = await stripe.paymentMethods.retrieve(input.paymentMethodId);
  const fingerprint = card.card?.fingerprint ?? null;
  const claims = [
    ...(fingerprint
      ? [{ kind: "card" as const, keyedHash: keyedHash("trial-card", fingerprint) }]
      : []),
    ...(input.verifiedEmail
      ? [
          {
            kind: "email" as const,
            keyedHash: keyedHash("trial-email", mailbox(input.verifiedEmail)),
          },
        ]
      : []),
  ];
  if (claims.length === 0) return true;
  const db = await getDb();
  await db
    .insert(trialGrants)
    .values(claims.map((claim) => ({ ...claim, clerkUserId: input.userId })))
    .onConflictDoNothing();
  const owners = await db
    .select({ clerkUserId: trialGrants.clerkUserId })
    .from(trialGrants)
    .where(
      or(
        ...claims.map((claim) =>
          and(eq(trialGrants.kind, claim.kind), eq(trialGrants.keyedHash, claim.keyedHash)),
        ),
      ),
    );
  return owners.every((owner) => owner.clerkUserId === input.userId);
}
