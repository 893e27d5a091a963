import { inngest } from "@/inngest/client";
import { userCreated, userUpdated } from "@/inngest/events";
import type { ClerkUser } from "@/lib/webhooks/payloads";
import { upsertUserProfile, type UserProfile } from "@/lib/users";

/**
 * Keeps the users row in step with Clerk. Ordering lives in the SQL: each write carries Clerk's
 * `updated_at` and only lands on an older row, and never on a deleted one (close-deleted-user
 * leaves that tombstone), so replays and late deliveries change nothing.
 */
export const syncUser = inngest.createFunction(
  {
    id: "sync-user",
    name: "Sync user row from Clerk",
    triggers: [userCreated, userUpdated],
  },
  async ({ event, step }) => {
    const profile = profileOf(event.data);
    const written = await step.run("upsert-user-row", () => upsertUserProfile(profile));
    return {
      userId: profile.clerkUserId,
      outcome: written
        ? "written"
        : "skipped: the row holds a newer version or the user is deleted",
    };
  },
);

function profileOf(user: ClerkUser): UserProfile {
  const primary = user.email_addresses?.find((email) => email.id === user.primary_email_address_id);
  return {
    clerkUserId: user.id,
    email: primary?.email_address ?? null,
    firstName: user.first_name ?? null,
    lastName: user.last_name ?? null,
    clerkUpdatedAt: user.updated_at === undefined ? null : new Date(user.updated_at),
  };
}
