import type { SignedInSession } from "@/app/_lib/pages";
import { billingAccount } from "@/lib/billing/account";
import { billingClaims, entitlementsFor, type Entitlements } from "@/lib/billing/entitlements";
import { billingClient } from "@/lib/vendors/stripe";

/**
 * What the signed-in user may use, from their session's claims (no database read); a session
 * minted before the claims carried the subscription's status asks the database once.
 */
export async function sessionEntitlements(session: SignedInSession): Promise<Entitlements> {
  const claimed = billingClaims(session.sessionClaims);
  const account = claimed ?? (await billingAccount(session.userId));
  return entitlementsFor(
    { tier: account?.tier ?? null, subscriptionStatus: account?.subscriptionStatus ?? null },
    billingClient() !== null,
  );
}
