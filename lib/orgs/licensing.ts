import type { SessionAuth } from "@/lib/auth";
import { billingClient } from "@/lib/vendors/stripe";
import { orgActor, orgAdmin, type OrgActor } from "./access";
import { LicensingError } from "./errors";
import { allMemberships, membershipOf, writeClerkLicense } from "./members";
import {
  assignSeat,
  isLicensed,
  releaseSeat,
  seatHolders,
  seatSummary,
  type SeatSummary,
} from "./seats";

/**
 * What /org/licensing shows and does. The database decides who holds a seat (./seats); Clerk's
 * membership metadata then follows (./members). Only admins of the active organization act.
 */

interface OrgMember {
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
  return { actor, seats, selfLicensed, members, billingEnabled: billingClient() !== null };
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

export interface LicenseChange {
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
): Promise<LicenseChange> {
  const actor = orgAdmin(auth);
  const { orgId } = actor;

  if (!target.licensed) {
    const released = await releaseSeat(orgId, target.userId);
    await writeClerkLicense(orgId, target.userId, false, { missingMemberIsFine: true });
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
    await writeClerkLicense(orgId, target.userId, true, { missingMemberIsFine: false });
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
