import { and, eq, isNotNull, isNull, or, sql } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { notSuperseded, type SubscriptionState } from "@/lib/billing/subscriptions";
import { users } from "@/lib/db/schema";
import { AccountDeletedError } from "@/lib/errors";

/**
 * The users table as the webhooks keep it. Every write is one statement (the Neon HTTP driver
 * has no interactive transactions), and each carries its own guard against replays and
 * out-of-order deliveries.
 */

export interface UserProfile {
  clerkUserId: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Clerk's `updated_at` for this version of the user. */
  clerkUpdatedAt: Date | null;
}

/**
 * Inserts or updates the profile, unless the row already holds a version at least as new, or the
 * user was deleted (Clerk never reuses a user id). Returns whether the row was written.
 */
export async function upsertUserProfile(profile: UserProfile): Promise<boolean> {
  const db = await getDb();
  const written = await db
    .insert(users)
    .values(profile)
    .onConflictDoUpdate({
      target: users.clerkUserId,
      set: {
        email: sql`excluded.email`,
        firstName: sql`excluded.first_name`,
        lastName: sql`excluded.last_name`,
        clerkUpdatedAt: sql`excluded.clerk_updated_at`,
        updatedAt: sql`now()`,
      },
      setWhere: and(
        isNull(users.deletedAt),
        or(isNull(users.clerkUpdatedAt), sql`${users.clerkUpdatedAt} < excluded.clerk_updated_at`),
      ),
    })
    .returning({ clerkUserId: users.clerkUserId });
  return written.length > 0;
}

/**
 * Soft-deletes the user. When the deletion arrives before the user's creation, the row is
 * created already deleted, so the late `user.created` cannot bring it back.
 * Returns whether the row changed (false when it was already deleted).
 */
export async function markUserDeleted(clerkUserId: string, deletedAt: Date): Promise<boolean> {
  const db = await getDb();
  const written = await db
    .insert(users)
    .values({ clerkUserId, deletedAt })
    .onConflictDoUpdate({
      target: users.clerkUserId,
      set: { deletedAt: sql`excluded.deleted_at`, updatedAt: sql`now()` },
      setWhere: isNull(users.deletedAt),
    })
    .returning({ clerkUserId: users.clerkUserId });
  return written.length > 0;
}

/** A user's plan as the session claims carry it: what Clerk is told when it changes. */
export interface UserBilling {
  tier: string | null;
  subscriptionStatus: string | null;
}

/**
 * Applies the subscription Stripe reports to the user who owns its customer. Returns the user's
 * id with their plan before and after, or null when no user row has this customer (or the row
 * has moved on to a newer subscription).
 */
export async function applySubscriptionToUser(
  state: SubscriptionState,
): Promise<{ userId: string; before: UserBilling; after: UserBilling } | null> {
  const db = await getDb();
  const applies = and(
    eq(users.stripeCustomerId, state.stripeCustomerId),
    notSuperseded(users.stripeSubscriptionId, state),
  );
  // Runs for one subscription are serialized (sync-subscription's concurrency), so nothing else
  // writes this row's plan between the read and the update.
  const [before] = await db
    .select({ tier: users.tier, subscriptionStatus: users.subscriptionStatus })
    .from(users)
    .where(applies);
  if (!before) return null;
  const [row] = await db
    .update(users)
    .set({
      stripeSubscriptionId: state.stripeSubscriptionId,
      subscriptionStatus: state.status,
      // A price outside the catalogue keeps the tier the user chose (drizzle skips undefined).
      tier: state.tier ?? undefined,
      trialEndsAt: state.trialEndsAt,
      currentPeriodEnd: state.currentPeriodEnd,
      cancelsAt: state.cancelsAt,
      updatedAt: sql`now()`,
    })
    .where(applies)
    .returning({
      clerkUserId: users.clerkUserId,
      tier: users.tier,
      subscriptionStatus: users.subscriptionStatus,
    });
  if (!row) return null;
  const { clerkUserId: userId, ...after } = row;
  return { userId, before, after };
}

/** When Clerk's deletion of the user was first processed (a tombstone row), or null. */
export async function userDeletedAt(clerkUserId: string): Promise<Date | null> {
  const db = await getDb();
  const [row] = await db
    .select({ deletedAt: users.deletedAt })
    .from(users)
    .where(eq(users.clerkUserId, clerkUserId));
  return row?.deletedAt ?? null;
}

/** Whether Clerk has deleted the user (a tombstone row, also for users we never saw created). */
export async function isUserDeleted(clerkUserId: string): Promise<boolean> {
  return (await userDeletedAt(clerkUserId)) !== null;
}

/**
 * Erases a deleted user's personal data from their row: email and names. Ids, plan, Stripe ids
 * and subscription state stay (accounting). Only a deleted user's row is touched, and
 * upsertUserProfile never writes a deleted row again.
 */
export async function eraseUserProfile(clerkUserId: string) {
  const db = await getDb();
  await db
    .update(users)
    .set({ email: null, firstName: null, lastName: null, updatedAt: sql`now()` })
    .where(and(eq(users.clerkUserId, clerkUserId), isNotNull(users.deletedAt)));
}

/** Before any vendor write for a user: a deleted user gets none. */
export async function ensureUserNotDeleted(clerkUserId: string) {
  if (await isUserDeleted(clerkUserId)) throw new AccountDeletedError(clerkUserId);
}

/** The user's Stripe customer as our row records it, or null. */
export async function findUserStripeCustomerId(clerkUserId: string): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .select({ stripeCustomerId: users.stripeCustomerId })
    .from(users)
    .where(eq(users.clerkUserId, clerkUserId));
  return row?.stripeCustomerId ?? null;
}

/** The user's current Stripe subscription as our row records it, or null. */
export async function findUserSubscriptionId(clerkUserId: string): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .select({ stripeSubscriptionId: users.stripeSubscriptionId })
    .from(users)
    .where(eq(users.clerkUserId, clerkUserId));
  return row?.stripeSubscriptionId ?? null;
}

/**
 * Links the user's Stripe customer to their row, so Stripe's subscription events find the user.
 * The first customer recorded stays; a deleted user's row is left as it is.
 */
export async function recordUserStripeCustomer(clerkUserId: string, stripeCustomerId: string) {
  const db = await getDb();
  await db
    .insert(users)
    .values({ clerkUserId, stripeCustomerId })
    .onConflictDoUpdate({
      target: users.clerkUserId,
      set: { stripeCustomerId, updatedAt: sql`now()` },
      setWhere: and(isNull(users.stripeCustomerId), isNull(users.deletedAt)),
    });
}

/**
 * The user whose Stripe customer it is, with where their email goes; null when no user has it
 * (an organization's customer) or their row has no address (erased after deletion).
 */
export async function recipientOfCustomer(
  stripeCustomerId: string,
): Promise<{ userId: string; to: string; firstName: string | null } | null> {
  const db = await getDb();
  const [row] = await db
    .select({ userId: users.clerkUserId, to: users.email, firstName: users.firstName })
    .from(users)
    .where(eq(users.stripeCustomerId, stripeCustomerId));
  return row?.to ? { userId: row.userId, to: row.to, firstName: row.firstName } : null;
}
