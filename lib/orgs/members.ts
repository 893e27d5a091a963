import type { OrganizationMembership } from "@clerk/backend";
import { logger } from "@/lib/logger";
import { classifyClerkError, clerk } from "@/lib/vendors/clerk";
import { LicensingError } from "./errors";

/** An organization's members as Clerk has them, and the license flag on each membership. */

const membershipPageSize = 100;

export async function allMemberships(orgId: string): Promise<OrganizationMembership[]> {
  const all: OrganizationMembership[] = [];
  for (;;) {
    const page = await clerkRead(() =>
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

/** The user's membership of the org, or null when they are not a member. */
export async function membershipOf(orgId: string, userId: string) {
  const { data } = await clerkRead(() =>
    clerk.organizations.getOrganizationMembershipList({ organizationId: orgId, userId: [userId] }),
  );
  return data.find((membership) => membership.publicUserData?.userId === userId) ?? null;
}

/**
 * Writes `publicMetadata.isLicensed` on the membership, after the database has decided. A member
 * who has left is fine when freeing a seat and a LicensingError when assigning one.
 */
export async function writeClerkLicense(
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
    const failure = classifyClerkError(error);
    if (failure?.kind === "permanent" && failure.code === "not_found") {
      if (missingMemberIsFine) return;
      throw new LicensingError(
        "not_a_member",
        "That user is no longer a member of this organization.",
      );
    }
    logger.error("Clerk membership update failed", { orgId, userId }, error);
    throw new LicensingError(
      "vendor_unavailable",
      `The seat is ${isLicensed ? "assigned" : "freed"}, but Clerk could not be updated right now. The member list shows it as not synced; use Retry to send it again.`,
    );
  }
}

/** Clerk reads for the page and the checks: a failure becomes a message, not a crash. */
export async function clerkRead<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    logger.error("Clerk request failed", error);
    throw new LicensingError(
      "vendor_unavailable",
      "Clerk is not answering right now, so the organization's members cannot be checked. Try again in a minute.",
    );
  }
}
