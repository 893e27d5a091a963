import { env } from "@/lib/env";

/**
 * Whose a Stripe object is. onramp puts the Clerk account's id and this deployment's name
 * (ONRAMP_ENVIRONMENT) in the metadata of every customer, SetupIntent, subscription and Checkout
 * it makes: staging, previews and production may share one Stripe account, and each touches only
 * the objects it made. Objects made before the tag existed carry none; they count as this
 * deployment's where our tables or the account's own customer say so.
 */

/** The metadata key that ties a Stripe object to a Clerk user or org. */
export type ClerkIdKey = "clerk_user_id" | "clerk_org_id";

/** The Clerk account Stripe objects belong to. */
export interface BillingOwner {
  key: ClerkIdKey;
  id: string;
}

/** The metadata key naming the deployment that made a Stripe object. */
export const environmentKey = "onramp_environment";

/** What onramp puts in the metadata of a Stripe object it makes for the account. */
export function ownerMetadata(owner: BillingOwner): Record<string, string> {
  return { [owner.key]: owner.id, [environmentKey]: env.ONRAMP_ENVIRONMENT };
}

/**
 * Which deployment made the object, by its tag: this one, another one sharing the Stripe account,
 * or none said (made before the tag existed, or by hand in Stripe's dashboard).
 */
export function madeBy(
  metadata: Record<string, string> | null | undefined,
): "this" | "another" | "untagged" {
  const tag = metadata?.[environmentKey];
  if (!tag) return "untagged";
  return tag === env.ONRAMP_ENVIRONMENT ? "this" : "another";
}

/** The Clerk account the object's metadata names, if any. */
export function ownerOf(metadata: Record<string, string> | null | undefined): BillingOwner | null {
  if (metadata?.clerk_user_id) return { key: "clerk_user_id", id: metadata.clerk_user_id };
  if (metadata?.clerk_org_id) return { key: "clerk_org_id", id: metadata.clerk_org_id };
  return null;
}

/** Whether the object's metadata names this account and no other deployment made it. */
export function belongsTo(
  metadata: Record<string, string> | null | undefined,
  owner: BillingOwner,
): boolean {
  return metadata?.[owner.key] === owner.id && madeBy(metadata) !== "another";
}

/**
 * Stripe's search query for this deployment's customers of the account. Ids are Clerk's
 * (`user_…`, `org_…`: letters, digits, underscores), so quoting them is safe.
 */
export const customerSearchQuery = (owner: BillingOwner) =>
  `metadata['${owner.key}']:'${owner.id}' AND metadata['${environmentKey}']:'${env.ONRAMP_ENVIRONMENT}'`;

/** "user user_…" or "organization org_…", as reports and logs name an account. */
export const accountLabel = (owner: BillingOwner) =>
  `${owner.key === "clerk_user_id" ? "user" : "organization"} ${owner.id}`;
