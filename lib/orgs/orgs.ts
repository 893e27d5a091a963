import { and, eq, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { AccountDeletedError } from "@/lib/errors";
import { orgs } from "@/lib/db/schema";
import { notSuperseded, type SubscriptionState } from "@/lib/billing/subscriptions";

/** The orgs table as the webhooks keep it: single-statement writes, safe to replay. */

export interface NewOrg {
  clerkOrgId: string;
  name: string;
  stripeCustomerId: string | null;
  /** Clerk's `updated_at` for this version of the organization. */
  clerkUpdatedAt: Date | null;
}

export async function findOrgStripeCustomerId(clerkOrgId: string): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .select({ stripeCustomerId: orgs.stripeCustomerId })
    .from(orgs)
    .where(eq(orgs.clerkOrgId, clerkOrgId));
  return row?.stripeCustomerId ?? null;
}

/**
 * Creates the org's row with no seats, or completes an existing one: the first Stripe customer
 * recorded stays, seats are never reset, and the name only follows a newer Clerk version.
 * Returns the Stripe customer id the row holds.
 */
export async function upsertOrg(org: NewOrg): Promise<{ stripeCustomerId: string | null }> {
  const db = await getDb();
  const newer = sql`(${orgs.clerkUpdatedAt} is null or ${orgs.clerkUpdatedAt} < excluded.clerk_updated_at)`;
  const [row] = await db
    .insert(orgs)
    .values({ ...org, purchasedSeats: 0 })
    .onConflictDoUpdate({
      target: orgs.clerkOrgId,
      set: {
        name: sql`case when ${newer} then excluded.name else ${orgs.name} end`,
        clerkUpdatedAt: sql`greatest(${orgs.clerkUpdatedAt}, excluded.clerk_updated_at)`,
        stripeCustomerId: sql`coalesce(${orgs.stripeCustomerId}, excluded.stripe_customer_id)`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ stripeCustomerId: orgs.stripeCustomerId });
  return { stripeCustomerId: row?.stripeCustomerId ?? null };
}

/**
 * Applies the subscription Stripe reports to the org that owns its customer: status and seats.
 * Returns the org's id, or null when no org row has this customer (or it has a newer subscription).
 */
export async function applySubscriptionToOrg(state: SubscriptionState): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .update(orgs)
    .set({
      stripeSubscriptionId: state.stripeSubscriptionId,
      subscriptionStatus: state.status,
      purchasedSeats: state.seats,
      updatedAt: sql`now()`,
    })
    .where(
      and(
        eq(orgs.stripeCustomerId, state.stripeCustomerId),
        notSuperseded(orgs.stripeSubscriptionId, state),
      ),
    )
    .returning({ clerkOrgId: orgs.clerkOrgId });
  return row?.clerkOrgId ?? null;
}

/**
 * Marks the org deleted at `deletedAt` (the first deletion time stays) and returns its customer
 * and when it was first deleted. An org deleted before its row was created gets a deleted row, so
 * an `organization.created` that Svix delivers late creates nothing (`isOrgDeleted`). Its seats
 * stop licensing anyone (isLicensed skips deleted orgs).
 */
export async function markOrgDeleted(
  orgId: string,
  deletedAt: Date,
): Promise<{ stripeCustomerId: string | null; deletedAt: Date }> {
  const db = await getDb();
  const [row] = await db
    .insert(orgs)
    // Clerk's deletion event carries only the id, so a tombstone has no name.
    .values({ clerkOrgId: orgId, name: "", deletedAt })
    .onConflictDoUpdate({
      target: orgs.clerkOrgId,
      set: {
        deletedAt: sql`coalesce(${orgs.deletedAt}, excluded.deleted_at)`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ stripeCustomerId: orgs.stripeCustomerId, deletedAt: orgs.deletedAt });
  return { stripeCustomerId: row!.stripeCustomerId, deletedAt: row!.deletedAt! };
}

/** When Clerk's deletion of the org happened (its tombstone), or null. */
export async function orgDeletedAt(orgId: string): Promise<Date | null> {
  const db = await getDb();
  const [row] = await db
    .select({ deletedAt: orgs.deletedAt })
    .from(orgs)
    .where(eq(orgs.clerkOrgId, orgId));
  return row?.deletedAt ?? null;
}

/** Whether Clerk has deleted the org (its row says so). */
export async function isOrgDeleted(orgId: string): Promise<boolean> {
  return (await orgDeletedAt(orgId)) !== null;
}

/** Before any vendor write for an org: a deleted org gets none. */
export async function ensureOrgNotDeleted(orgId: string) {
  if (await isOrgDeleted(orgId)) throw new AccountDeletedError(orgId);
}
