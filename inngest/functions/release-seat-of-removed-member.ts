import { inngest } from "@/inngest/client";
import { organizationMembershipDeleted } from "@/inngest/events";
import { releaseMembershipSeat } from "@/lib/orgs/seats";

/**
 * A member removed from an organization (or who left it) gives their seat back. The seat is
 * found by the membership's id, so replays and a late delivery for an old membership free
 * nothing the user holds now; Clerk deletes the membership's metadata along with it.
 */
export const releaseSeatOfRemovedMember = inngest.createFunction(
  {
    id: "release-seat-of-removed-member",
    name: "Free the seat of a removed organization member",
    triggers: [organizationMembershipDeleted],
  },
  async ({ event, step }) => {
    const { id: membershipId, organization } = event.data;
    const released = await step.run("release-seat", () =>
      releaseMembershipSeat(organization.id, membershipId),
    );
    return { orgId: organization.id, membershipId, released };
  },
);
