import type Stripe from "stripe";
import { isTier, type Tier } from "@/lib/billing/plans";

/**
 * What an account may use, given its plan and what Stripe says of its subscription: the one
 * entitlement check. Pages read it from the session's claims (Clerk's `metadata`, which the
 * workflows keep in step with Stripe), so deciding needs no database read; server actions and
 * seat licensing ask the same function with what the database holds.
 *
 * - trialing, active: the plan's paid features;
 * - past_due: the same, while Stripe retries the card; the app shows a banner to fix it;
 * - unpaid, canceled, incomplete_expired (and paused, incomplete): no paid features, and a page
 *   to subscribe again;
 * - no subscription yet (provisioning has just finished, Stripe's event is on its way): the plan's
 *   features, as the trial or first payment that provisioning confirmed grants them.
 * Without billing configured on the server, everything is open.
 */

/** The paid features of the app. */
export type Feature = "projects";

/** What each personal plan includes (the organization's seats are the organization's). */
const planFeatures: Record<Tier, readonly Feature[]> = {
  pro: ["projects"],
  enterprise: ["projects"],
};

/** Where the account stands with the money. */
export type Standing = "paying" | "past_due" | "ended" | "pending" | "unbilled";

/** Statuses under which a subscription grants its plan's features (past_due: Stripe is retrying). */
export const accessStatuses: readonly Stripe.Subscription.Status[] = [
  "trialing",
  "active",
  "past_due",
];

/** Whether a subscription in this status grants what it pays for (an organization's seats too). */
export const grantsAccess = (status: string | null | undefined): boolean =>
  accessStatuses.some((granting) => granting === status);

function standingOf(status: string | null | undefined, billingEnabled: boolean): Standing {
  if (!billingEnabled) return "unbilled";
  if (!status) return "pending";
  if (status === "past_due") return "past_due";
  return grantsAccess(status) ? "paying" : "ended";
}

export interface Entitlements {
  standing: Standing;
  tier: Tier | null;
  /** The paid features the account may use now. */
  features: readonly Feature[];
}

/** The entitlement check: what an account with this plan and subscription status may use. */
export function entitlementsFor(
  account: { tier: string | null; subscriptionStatus: string | null },
  billingEnabled: boolean,
): Entitlements {
  const standing = standingOf(account.subscriptionStatus, billingEnabled);
  const tier = isTier(account.tier) ? account.tier : null;
  const features =
    standing === "unbilled"
      ? (["projects"] as const)
      : standing === "ended" || !tier
        ? []
        : planFeatures[tier];
  return { standing, tier, features };
}

export const may = (entitlements: Entitlements, feature: Feature) =>
  entitlements.features.includes(feature);

/**
 * The plan and subscription status the session claims (`metadata` = the user's public metadata),
 * or null when the claims do not say (a session minted before the workflows wrote them): the
 * caller then asks the database.
 */
export function billingClaims(
  claims: unknown,
): { tier: string | null; subscriptionStatus: string | null } | null {
  const metadata = (claims as { metadata?: Record<string, unknown> } | null)?.metadata;
  const status = metadata?.subscriptionStatus;
  if (typeof status !== "string") return null;
  return {
    tier: typeof metadata?.tier === "string" ? metadata.tier : null,
    subscriptionStatus: status,
  };
}
