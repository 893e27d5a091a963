import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import { accessStatuses, grantsAccess } from "@/lib/billing/entitlements";
import { hasEnded } from "@/lib/billing/subscription-status";
import { getDb } from "@/lib/db/client";
import { orgs, orgSeatAssignments } from "@/lib/db/schema";

/**
 * Who holds a seat, decided by the database: every assignment and release is ONE statement that
 * changes org_seat_assignments and orgs.assigned_seats together, so concurrent toggles by several
 * admins can never assign more seats than were purchased (production runs on Neon's HTTP driver:
 * no interactive transactions). Clerk's membership metadata follows afterwards (./members).
 */

export type AssignOutcome = "assigned" | "already_assigned" | "no_free_seats" | "no_org";

/** Rows of a raw statement; every driver's result carries them as `rows`. */
async function rowsOf<T>(query: SQL): Promise<T[]> {
  const db = await getDb();
  return ((await db.execute(query)) as unknown as { rows: T[] }).rows;
}

function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ((e as { code?: unknown }).code === "23505") return true;
  }
  return false;
}

/**
 * Every seat change is one statement that first locks its org's row (`org`), so changes to one
 * org's seats queue on that row and always take their locks in the same order (no deadlocks).
 */
const lockedOrg = (orgId: string) => sql`
  org as (
    select clerk_org_id from orgs
    where clerk_org_id = ${orgId} and deleted_at is null
    for no key update
  )`;

/**
 * Gives the member a seat if one is free, in one statement:
 * - `kept`: a seat the user already holds stays theirs (and follows their current membership).
 *   As an UPDATE it skips a seat freed by a release that committed while this one waited.
 * - `claimed`: otherwise the counter goes up, only while below the purchased seats. Postgres
 *   re-checks that condition against the row as the previous change left it, so the last free
 *   seat goes to exactly one of several concurrent assignments.
 * - `inserted`: the seat row, only when the counter went up.
 * An assignment of the same user that committed while this one waited is not visible to it: the
 * insert then fails on the primary key, which undoes the whole statement (counter included), and
 * it runs again, finding the seat in `kept`.
 */
export async function assignSeat(seat: {
  orgId: string;
  userId: string;
  membershipId: string;
  assignedBy: string;
}): Promise<AssignOutcome> {
  const { orgId, userId, membershipId, assignedBy } = seat;
  const statement = sql`
    with ${lockedOrg(orgId)}, kept as (
      update org_seat_assignments set clerk_membership_id = ${membershipId}
      where clerk_org_id = (select clerk_org_id from org) and clerk_user_id = ${userId}
      returning clerk_user_id
    ), claimed as (
      update orgs set assigned_seats = assigned_seats + 1, updated_at = now()
      where clerk_org_id = (select clerk_org_id from org)
        and assigned_seats < purchased_seats
        and not exists (select from kept)
      returning clerk_org_id
    ), inserted as (
      insert into org_seat_assignments (clerk_org_id, clerk_user_id, clerk_membership_id, assigned_by)
      select clerk_org_id, ${userId}, ${membershipId}, ${assignedBy} from claimed
      returning clerk_user_id
    )
    select case
      when not exists (select from org) then 'no_org'
      when exists (select from kept) then 'already_assigned'
      when exists (select from inserted) then 'assigned'
      else 'no_free_seats'
    end as outcome`;
  for (let attempt = 1; ; attempt++) {
    try {
      const [row] = await rowsOf<{ outcome: AssignOutcome }>(statement);
      return row!.outcome;
    } catch (error) {
      if (attempt < 3 && isUniqueViolation(error)) continue;
      throw error;
    }
  }
}

/** Frees a seat of the org and lowers the counter in one statement; whether a seat was freed. */
async function releaseSeatWhere(orgId: string, condition: SQL): Promise<boolean> {
  const [row] = await rowsOf<{ released: boolean }>(sql`
    with ${lockedOrg(orgId)}, removed as (
      delete from org_seat_assignments
      where clerk_org_id = (select clerk_org_id from org) and ${condition}
      returning clerk_org_id
    ), released as (
      update orgs set assigned_seats = assigned_seats - 1, updated_at = now()
      where clerk_org_id in (select clerk_org_id from removed)
      returning clerk_org_id
    )
    select exists (select from released) as released`);
  return row?.released === true;
}

/** An admin's "unlicense": always allowed, also while the org is over-assigned. */
export function releaseSeat(orgId: string, userId: string): Promise<boolean> {
  return releaseSeatWhere(orgId, sql`clerk_user_id = ${userId}`);
}

/**
 * A removed member's seat. By membership id, so a late deletion of an old membership cannot
 * free the seat the user holds through a newer one.
 */
export function releaseMembershipSeat(orgId: string, membershipId: string): Promise<boolean> {
  return releaseSeatWhere(orgId, sql`clerk_membership_id = ${membershipId}`);
}

export interface SeatSummary {
  purchased: number;
  assigned: number;
  free: number;
  /** Assigned beyond the purchased seats (seats lowered in the Portal); an admin must resolve it. */
  overAssignedBy: number;
  subscriptionStatus: string | null;
  /** A subscription that has not ended: new seats are bought in the Portal, not Checkout. */
  hasSubscription: boolean;
  /** Whether assigned seats license their holders now (the subscription is paying). */
  paying: boolean;
  stripeCustomerId: string | null;
}

export async function seatSummary(orgId: string): Promise<SeatSummary> {
  const db = await getDb();
  const [row] = await db
    .select({
      purchased: orgs.purchasedSeats,
      assigned: orgs.assignedSeats,
      status: orgs.subscriptionStatus,
      subscriptionId: orgs.stripeSubscriptionId,
      stripeCustomerId: orgs.stripeCustomerId,
    })
    .from(orgs)
    .where(eq(orgs.clerkOrgId, orgId));
  const purchased = row?.purchased ?? 0;
  const assigned = row?.assigned ?? 0;
  const status = row?.status ?? null;
  return {
    purchased,
    assigned,
    free: Math.max(0, purchased - assigned),
    overAssignedBy: Math.max(0, assigned - purchased),
    subscriptionStatus: status,
    hasSubscription: Boolean(row?.subscriptionId) && !hasEnded(status),
    paying: grantsAccess(status),
    stripeCustomerId: row?.stripeCustomerId ?? null,
  };
}

/** Which of these users hold a seat in the org. */
export async function seatHolders(orgId: string, userIds?: string[]): Promise<Set<string>> {
  const db = await getDb();
  const rows = await db
    .select({ userId: orgSeatAssignments.clerkUserId })
    .from(orgSeatAssignments)
    .where(
      and(
        eq(orgSeatAssignments.clerkOrgId, orgId),
        userIds ? inArray(orgSeatAssignments.clerkUserId, userIds) : undefined,
      ),
    );
  return new Set(rows.map((row) => row.userId));
}

/**
 * For feature code: whether the user may use the licensed features of the org. They must hold a
 * seat and the org's subscription must grant access (lib/billing/entitlements: active, trialing
 * or past_due). An over-assigned
 * org keeps everyone who holds a seat licensed until an admin resolves it.
 */
export async function isLicensed(orgId: string, userId: string): Promise<boolean> {
  const db = await getDb();
  const [row] = await db
    .select({ userId: orgSeatAssignments.clerkUserId })
    .from(orgSeatAssignments)
    .innerJoin(orgs, eq(orgs.clerkOrgId, orgSeatAssignments.clerkOrgId))
    .where(
      and(
        eq(orgSeatAssignments.clerkOrgId, orgId),
        eq(orgSeatAssignments.clerkUserId, userId),
        sql`${orgs.deletedAt} is null`,
        inArray(orgs.subscriptionStatus, [...accessStatuses]),
      ),
    );
  return row !== undefined;
}
