import { isClerkAPIResponseError } from "@clerk/backend/errors";
import type { OrganizationMembership } from "@clerk/backend";
import { and, eq, gt, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import Stripe from "stripe";
import { billingPortalUrl } from "@/lib/billing/account";
import { priceFor } from "@/lib/billing/plans";
import { hasEnded, isPaying, payingStatuses } from "@/lib/billing/subscription-status";
import { clerk } from "@/lib/clerk";
import { getDb } from "@/lib/db/client";
import { orgs, orgSeatAssignments } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { paths } from "@/lib/onboarding/gate";
import { createOrgStripeCustomer, findOrgStripeCustomerId, upsertOrg } from "@/lib/orgs";
import { stripe } from "@/lib/stripe";

/**
 * Per-seat licensing for Clerk organizations. The database decides who holds a seat: every
 * assignment and release is ONE statement that changes org_seat_assignments and
 * orgs.assigned_seats together, so concurrent toggles by several admins can never assign more
 * seats than were purchased (production runs on Neon's HTTP driver: no interactive transactions).
 * Clerk's membership `publicMetadata.isLicensed` is written after the database has decided.
 */

/** The seat price: seats are sold on the enterprise tier, whose item quantity is the seat count. */
export const seatTier = "enterprise" as const;
export const maxSeatsPerPurchase = 1000;
export const orgAdminRole = "org:admin";

export type LicensingErrorCode =
  | "signed_out"
  | "no_organization"
  | "forbidden"
  | "not_a_member"
  | "no_free_seats"
  | "invalid_quantity"
  | "billing_off"
  | "already_subscribed"
  | "checkout_starting"
  | "no_subscription"
  | "not_ready"
  | "vendor_unavailable";

/** A refusal or failure the page shows as is: the message says what happened and what to do. */
export class LicensingError extends Error {
  constructor(
    readonly code: LicensingErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "LicensingError";
  }
}

// ---------- who is asking ----------

/** What Clerk's `auth()` (or `authenticateRequest().toAuth()`) says about the verified session. */
export interface SessionAuth {
  userId: string | null;
  orgId?: string | null;
  orgRole?: string | null;
}

export interface OrgActor {
  userId: string;
  /** The session's active organization: the only one an actor can act on. */
  orgId: string;
  isAdmin: boolean;
}

/** The signed-in user in their active organization, or a LicensingError saying what is missing. */
export function orgActor(auth: SessionAuth): OrgActor {
  if (!auth.userId) throw new LicensingError("signed_out", "Sign in to manage licences.");
  if (!auth.orgId) {
    throw new LicensingError(
      "no_organization",
      "Choose or create an organization first: licences belong to an organization.",
    );
  }
  return { userId: auth.userId, orgId: auth.orgId, isAdmin: auth.orgRole === orgAdminRole };
}

/** Like orgActor, and refuses anyone but an admin of the active organization. */
export function orgAdmin(auth: SessionAuth): OrgActor {
  const actor = orgActor(auth);
  if (!actor.isAdmin) {
    throw new LicensingError(
      "forbidden",
      "Only organization admins can buy seats, manage the subscription or change licences. Ask an admin of this organization.",
    );
  }
  return actor;
}

// ---------- the rules, in the database ----------

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
    paying: isPaying(status),
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
 * seat and the org's subscription must be paying (active, trialing or past_due). An over-assigned
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
        inArray(orgs.subscriptionStatus, [...payingStatuses]),
      ),
    );
  return row !== undefined;
}

// ---------- what the page and its actions do ----------

export interface OrgMember {
  userId: string;
  membershipId: string;
  name: string;
  identifier: string;
  imageUrl: string | null;
  role: string;
  /** What the database says: the truth. */
  licensed: boolean;
  /** What the membership's publicMetadata.isLicensed says; differs only after a failed Clerk write. */
  licensedInClerk: boolean;
}

export interface LicensingOverview {
  actor: OrgActor;
  seats: SeatSummary;
  /** Whether the signed-in user is licensed (isLicensed). */
  selfLicensed: boolean;
  /** Every member with their seat; admins only. */
  members: OrgMember[] | null;
  billingEnabled: boolean;
}

/** What /org/licensing shows the signed-in user about their active organization. */
export async function licensingOverview(auth: SessionAuth): Promise<LicensingOverview> {
  const actor = orgActor(auth);
  const [seats, selfLicensed, members] = await Promise.all([
    seatSummary(actor.orgId),
    isLicensed(actor.orgId, actor.userId),
    actor.isAdmin ? orgMembers(actor.orgId) : Promise.resolve(null),
  ]);
  return { actor, seats, selfLicensed, members, billingEnabled: stripe !== null };
}

async function orgMembers(orgId: string): Promise<OrgMember[]> {
  const memberships = await allMemberships(orgId);
  const holders = await seatHolders(orgId);
  return memberships.flatMap((membership) => {
    const user = membership.publicUserData;
    if (!user) return [];
    const name = [user.firstName, user.lastName].filter(Boolean).join(" ");
    return [
      {
        userId: user.userId,
        membershipId: membership.id,
        name: name || user.identifier,
        identifier: user.identifier,
        imageUrl: user.hasImage ? user.imageUrl : null,
        role: membership.role,
        licensed: holders.has(user.userId),
        licensedInClerk: membership.publicMetadata?.isLicensed === true,
      },
    ];
  });
}

const membershipPageSize = 100;

async function allMemberships(orgId: string): Promise<OrganizationMembership[]> {
  const all: OrganizationMembership[] = [];
  for (;;) {
    const page = await clerkCall(() =>
      clerk.organizations.getOrganizationMembershipList({
        organizationId: orgId,
        limit: membershipPageSize,
        offset: all.length,
        orderBy: "+created_at",
      }),
    );
    all.push(...page.data);
    if (page.data.length < membershipPageSize || all.length >= page.totalCount) return all;
  }
}

/** The target's membership of the org, or null when they are not a member. */
async function membershipOf(orgId: string, userId: string) {
  const { data } = await clerkCall(() =>
    clerk.organizations.getOrganizationMembershipList({ organizationId: orgId, userId: [userId] }),
  );
  return data.find((membership) => membership.publicUserData?.userId === userId) ?? null;
}

export interface LicenceChange {
  licensed: boolean;
  /** What happened, for the admin. */
  message: string;
}

/**
 * An admin sets whether a member of the active organization holds a seat. The database decides
 * (the seat limit, atomically); Clerk's membership metadata then follows. Setting the state a
 * member already has is allowed and re-sends it to Clerk, which repairs a failed Clerk write.
 */
export async function setLicensed(
  auth: SessionAuth,
  target: { userId: string; licensed: boolean },
): Promise<LicenceChange> {
  const actor = orgAdmin(auth);
  const { orgId } = actor;

  if (!target.licensed) {
    const released = await releaseSeat(orgId, target.userId);
    await writeClerkLicence(orgId, target.userId, false, { missingMemberIsFine: true });
    return {
      licensed: false,
      message: released ? "Seat freed." : "This member did not hold a seat.",
    };
  }

  const membership = await membershipOf(orgId, target.userId);
  if (!membership) {
    throw new LicensingError("not_a_member", "That user is not a member of this organization.");
  }
  const outcome = await assignSeat({
    orgId,
    userId: target.userId,
    membershipId: membership.id,
    assignedBy: actor.userId,
  });
  if (outcome === "no_free_seats" || outcome === "no_org") {
    const seats = await seatSummary(orgId);
    throw new LicensingError(
      "no_free_seats",
      seats.purchased === 0
        ? "This organization has no seats yet. Buy seats first."
        : `All ${seats.purchased} purchased seats are assigned. Free a seat or buy more seats first.`,
    );
  }
  try {
    await writeClerkLicence(orgId, target.userId, true, { missingMemberIsFine: false });
  } catch (error) {
    // The membership ended between the check and the write: the seat must not outlive it.
    if (error instanceof LicensingError && error.code === "not_a_member") {
      await releaseSeat(orgId, target.userId);
    }
    throw error;
  }
  return {
    licensed: true,
    message: outcome === "assigned" ? "Seat assigned." : "This member already holds a seat.",
  };
}

async function writeClerkLicence(
  orgId: string,
  userId: string,
  isLicensed: boolean,
  { missingMemberIsFine }: { missingMemberIsFine: boolean },
) {
  try {
    await clerk.organizations.updateOrganizationMembershipMetadata({
      organizationId: orgId,
      userId,
      publicMetadata: { isLicensed },
    });
  } catch (error) {
    if (isClerkAPIResponseError(error) && error.status === 404) {
      if (missingMemberIsFine) return;
      throw new LicensingError(
        "not_a_member",
        "That user is no longer a member of this organization.",
      );
    }
    throw new LicensingError(
      "vendor_unavailable",
      `The seat is ${isLicensed ? "assigned" : "freed"}, but Clerk could not be updated right now. The member list shows it as not synced; use Retry to send it again.`,
    );
  }
}

/** Clerk reads for the page and the checks: a failure becomes a message, not a crash. */
async function clerkCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    console.error("Clerk request failed", error);
    throw new LicensingError(
      "vendor_unavailable",
      "Clerk is not answering right now, so the organization's members cannot be checked. Try again in a minute.",
    );
  }
}

/**
 * The org's Stripe customer: the one its row records, else created under the same per-org
 * idempotency key the org.created workflow uses (so the two never make two customers) and saved
 * to the row, where the first customer recorded stays.
 */
export async function ensureOrgStripeCustomer(client: Stripe, orgId: string): Promise<string> {
  const existing = await findOrgStripeCustomerId(orgId);
  if (existing) return existing;
  const org = await clerkCall(() => clerk.organizations.getOrganization({ organizationId: orgId }));
  let customerId: string;
  try {
    customerId = (await createOrgStripeCustomer(client, org)).id;
  } catch (error) {
    // The workflow used the key with other parameters (the org was renamed since): it is
    // saving its customer right now.
    const recorded = await findOrgStripeCustomerId(orgId);
    if (recorded) return recorded;
    throw stripeFailure(error);
  }
  const row = await upsertOrg({
    clerkOrgId: org.id,
    name: org.name,
    stripeCustomerId: customerId,
    clerkUpdatedAt: new Date(org.updatedAt),
  });
  return row.stripeCustomerId ?? customerId;
}

function requireBilling(): Stripe {
  if (!stripe) {
    throw new LicensingError(
      "billing_off",
      "Billing is not set up on this server, so seats cannot be bought.",
    );
  }
  return stripe;
}

function stripeFailure(error: unknown): LicensingError {
  console.error("Stripe request failed", error);
  return new LicensingError(
    error instanceof Stripe.errors.StripeIdempotencyError ? "not_ready" : "vendor_unavailable",
    error instanceof Stripe.errors.StripeIdempotencyError
      ? "This organization's billing account is still being set up. Try again in a few seconds."
      : "Stripe isn't available right now. Try again in a minute.",
  );
}

const appUrl = (query: string) => new URL(`${paths.licensing}${query}`, env.APP_URL).href;

/**
 * An admin buys seats: a Stripe Checkout session (subscription mode, quantity adjustable on
 * Checkout) for the org's own customer. Refused while the org has a subscription: seats are
 * then changed in the Portal, so an org never pays for two. While a Checkout is open, every admin
 * who asks gets that same one (its quantity can be changed on Stripe's page).
 */
export async function startSeatCheckout(auth: SessionAuth, quantity: number): Promise<string> {
  const { orgId, userId } = orgAdmin(auth);
  const client = requireBilling();
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > maxSeatsPerPurchase) {
    throw new LicensingError(
      "invalid_quantity",
      `Choose a whole number of seats from 1 to ${maxSeatsPerPurchase}.`,
    );
  }
  const price = priceFor(seatTier);
  if (!price) {
    throw new LicensingError(
      "billing_off",
      "No seat price is configured on this server (STRIPE_PRICE_ENTERPRISE).",
    );
  }
  const alreadySubscribed = new LicensingError(
    "already_subscribed",
    "This organization already has a subscription. Use Manage subscription to change its seats.",
  );
  if ((await seatSummary(orgId)).hasSubscription) throw alreadySubscribed;

  const customer = await ensureOrgStripeCustomer(client, orgId);
  // A Checkout may have been paid while its subscription webhook is still on its way: ask Stripe.
  const live = await client.subscriptions.list({ customer, limit: 1 }).catch((error: unknown) => {
    throw stripeFailure(error);
  });
  if (live.data.length > 0) throw alreadySubscribed;

  const expiresAt = new Date(Date.now() + checkoutLifetimeMs);
  if (!(await claimCheckout(orgId, expiresAt))) {
    const open = await openCheckoutUrl(orgId);
    if (open) return open;
    throw new LicensingError(
      "checkout_starting",
      "Another admin of this organization is opening Stripe Checkout right now. Try again in a few seconds.",
    );
  }
  try {
    const session = await client.checkout.sessions.create({
      mode: "subscription",
      customer,
      client_reference_id: orgId,
      line_items: [
        {
          price,
          quantity,
          adjustable_quantity: { enabled: true, minimum: 1, maximum: maxSeatsPerPurchase },
        },
      ],
      metadata: { clerk_org_id: orgId, started_by: userId },
      subscription_data: { metadata: { clerk_org_id: orgId } },
      success_url: appUrl("?checkout=success"),
      cancel_url: appUrl("?checkout=canceled"),
      // Closes with the claim, so no second Checkout can open while this one can still be paid.
      expires_at: Math.floor(expiresAt.getTime() / 1000),
    });
    if (!session.url) throw new Error(`Checkout session ${session.id} has no URL`);
    await recordCheckout(orgId, expiresAt, { id: session.id, url: session.url });
    return session.url;
  } catch (error) {
    await releaseCheckoutClaim(orgId, expiresAt);
    throw stripeFailure(error);
  }
}

/** Stripe's shortest Checkout lifetime (30 minutes), plus a margin for the clocks. */
const checkoutLifetimeMs = 31 * 60 * 1000;

/**
 * Claims the org's one open Checkout until `expiresAt`: whether this caller won. The database
 * decides between admins buying at the same moment (the UPDATE re-checks the row once the other
 * writer commits), so only one Checkout, and one subscription, can exist per org at a time.
 */
async function claimCheckout(orgId: string, expiresAt: Date): Promise<boolean> {
  const db = await getDb();
  const claimed = await db
    .update(orgs)
    .set({ checkoutSessionId: null, checkoutUrl: null, checkoutExpiresAt: expiresAt })
    .where(
      and(
        eq(orgs.clerkOrgId, orgId),
        or(isNull(orgs.checkoutExpiresAt), lt(orgs.checkoutExpiresAt, sql`now()`)),
      ),
    )
    .returning({ orgId: orgs.clerkOrgId });
  return claimed.length > 0;
}

/** The Checkout another admin opened and that can still be paid, or null while it is opening. */
async function openCheckoutUrl(orgId: string): Promise<string | null> {
  const db = await getDb();
  const [row] = await db
    .select({ url: orgs.checkoutUrl })
    .from(orgs)
    .where(and(eq(orgs.clerkOrgId, orgId), gt(orgs.checkoutExpiresAt, sql`now()`)));
  return row?.url ?? null;
}

async function recordCheckout(
  orgId: string,
  expiresAt: Date,
  session: { id: string; url: string },
) {
  const db = await getDb();
  await db
    .update(orgs)
    .set({ checkoutSessionId: session.id, checkoutUrl: session.url })
    .where(and(eq(orgs.clerkOrgId, orgId), eq(orgs.checkoutExpiresAt, expiresAt)));
}

/** A claim whose Checkout was never opened (Stripe failed): the next admin may try at once. */
async function releaseCheckoutClaim(orgId: string, expiresAt: Date) {
  const db = await getDb();
  await db
    .update(orgs)
    .set({ checkoutExpiresAt: null })
    .where(
      and(
        eq(orgs.clerkOrgId, orgId),
        eq(orgs.checkoutExpiresAt, expiresAt),
        isNull(orgs.checkoutSessionId),
      ),
    );
}

/** An admin manages the org's subscription (seats, card, invoices, cancel) in the Stripe Portal. */
export async function openSeatPortal(auth: SessionAuth): Promise<string> {
  const { orgId } = orgAdmin(auth);
  requireBilling();
  const customer = await findOrgStripeCustomerId(orgId);
  if (!customer) {
    throw new LicensingError(
      "no_subscription",
      "This organization has no subscription yet. Buy seats first.",
    );
  }
  try {
    return await billingPortalUrl(customer, appUrl(""));
  } catch (error) {
    throw stripeFailure(error);
  }
}
