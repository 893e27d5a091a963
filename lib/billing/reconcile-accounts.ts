import { inArray, or } from "drizzle-orm";
import type Stripe from "stripe";
import { deletedMarkOf } from "@/lib/billing/account-closure";
import { madeBy, ownerOf, type BillingOwner } from "@/lib/billing/ownership";
import { getDb } from "@/lib/db/client";
import { orgs, users, type OnboardingState } from "@/lib/db/schema";
import { onboardingRecords } from "@/lib/onboarding/progress";

/**
 * Whose each Stripe customer is, for the reconciler (lib/billing/reconcile): the Clerk account its
 * metadata names or a row of ours records it for, what our tables say about that account, and
 * whether this deployment compares it at all (another deployment's customers are left alone).
 */

/** The Clerk account a customer belongs to, as our tables and the customer's metadata say. */
export interface Account {
  owner: BillingOwner;
  /** Our row of the account, whatever customer it records; null when our tables lack it. */
  row: AccountRow | null;
  /** When it was deleted: our tombstone, or the mark close-deleted-* left on the customer. */
  deletedAt: Date | null;
  /** A user's onboarding state in our tables. */
  onboarding: OnboardingState | undefined;
}

interface AccountRow {
  customerId: string | null;
  /** What the row says about the account's subscription. */
  state: RowState;
}

/**
 * What the row says about the account's subscription: a user's row records its tier and trial,
 * an organization's the seats it paid for.
 */
export type RowState = UserRowState | OrgRowState;

interface SubscriptionRecord {
  subscriptionId: string | null;
  status: string | null;
}

interface UserRowState extends SubscriptionRecord {
  key: "clerk_user_id";
  tier: string | null;
  trialEndsAt: Date | null;
}

interface OrgRowState extends SubscriptionRecord {
  key: "clerk_org_id";
  seats: number;
}

/** The accounts of the page's customers this deployment compares, by customer id. */
export async function accountsOf(customers: Stripe.Customer[]): Promise<Map<string, Account>> {
  const customerIds = customers.map((customer) => customer.id);
  const tagged = (key: BillingOwner["key"]) =>
    customers.flatMap((customer) => customer.metadata[key] ?? []);
  const [userIds, orgIds] = [tagged("clerk_user_id"), tagged("clerk_org_id")];
  const db = await getDb();
  // inArray needs at least one value; "" matches no Clerk or Stripe id.
  const some = (ids: string[]) => (ids.length ? ids : [""]);
  const [userRows, orgRows] = await Promise.all([
    db
      .select()
      .from(users)
      .where(
        or(
          inArray(users.clerkUserId, some(userIds)),
          inArray(users.stripeCustomerId, some(customerIds)),
        ),
      ),
    db
      .select()
      .from(orgs)
      .where(
        or(
          inArray(orgs.clerkOrgId, some(orgIds)),
          inArray(orgs.stripeCustomerId, some(customerIds)),
        ),
      ),
  ]);

  // Both tables in one shape: the account, the customer it records, what it says.
  const rows = [
    ...userRows.map((row) => ({
      owner: { key: "clerk_user_id" as const, id: row.clerkUserId },
      customerId: row.stripeCustomerId,
      deletedAt: row.deletedAt,
      state: {
        key: "clerk_user_id" as const,
        subscriptionId: row.stripeSubscriptionId,
        status: row.subscriptionStatus,
        tier: row.tier,
        trialEndsAt: row.trialEndsAt,
      },
    })),
    ...orgRows.map((row) => ({
      owner: { key: "clerk_org_id" as const, id: row.clerkOrgId },
      customerId: row.stripeCustomerId,
      deletedAt: row.deletedAt,
      state: {
        key: "clerk_org_id" as const,
        subscriptionId: row.stripeSubscriptionId,
        status: row.subscriptionStatus,
        seats: row.purchasedSeats,
      },
    })),
  ];
  const onboarding = await onboardingRecords(userRows.map((row) => row.clerkUserId));

  const accounts = new Map<string, Account>();
  for (const customer of customers) {
    const recordedBy = rows.find((row) => row.customerId === customer.id);
    const named = ownerOf(customer.metadata);
    const made = madeBy(customer.metadata);
    // Another deployment's customer is not ours to compare; one from before the tag is, where a
    // row of ours records it.
    if (made === "another" || (made === "untagged" && !recordedBy)) continue;
    const owner = named ?? recordedBy?.owner;
    if (!owner) continue;
    const row = rows.find((r) => r.owner.key === owner.key && r.owner.id === owner.id);
    const mark = customer.metadata[deletedMarkOf(owner.key)];
    accounts.set(customer.id, {
      owner,
      row: row ? { customerId: row.customerId, state: row.state } : null,
      deletedAt: row?.deletedAt ?? (mark ? new Date(mark) : null),
      onboarding: onboarding.get(owner.id)?.state,
    });
  }
  return accounts;
}
