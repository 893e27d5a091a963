import { NonRetriableError } from "inngest";
import { inngest } from "@/inngest/client";
import { endBilling } from "@/inngest/steps/end-billing";
import { userDeleted } from "@/inngest/events";
import { eraseStoredEmails } from "@/lib/email/erase";
import {
  eraseUserProfile,
  findUserStripeCustomerId,
  markUserDeleted,
  userDeletedAt,
} from "@/lib/users";

/**
 * A user deleted in Clerk stops paying and is forgotten, whatever order Svix delivers in: the
 * tombstone goes down first (also for a user we never saw, so a late user.created creates
 * nothing), their personal data is erased, every live subscription of every customer Stripe
 * holds for them is cancelled now, without proration or a final invoice (a trial never
 * converts), what they paid for nothing is refunded (everything when they were never onboarded,
 * else what was paid after the deletion), and the customers are kept for the accounts, marked.
 * Every step re-reads before it writes, so redeliveries and retries repeat nothing. Provisioning
 * and the email drip of the user are cancelled by the same event (their cancelOn).
 */
export const closeDeletedUser = inngest.createFunction(
  {
    id: "close-deleted-user",
    name: "End a deleted user's billing and erase their data",
    triggers: [userDeleted],
    // One run per user at a time; a redelivery then finds everything done.
    concurrency: { key: "event.data.id", limit: 1 },
    // A run makes about 5 Stripe requests (search, list, retrieve and cancel, mark): 4 runs a
    // second stay within Stripe's 25 requests per second.
    throttle: { limit: 4, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const userId = event.data.id;
    if (!userId) throw new NonRetriableError("user.deleted carries no user id");

    // When the deletion reached us (the same on every retry); the first one processed stays.
    const deletedAt = await step.run("mark-user-deleted", async () => {
      await markUserDeleted(userId, new Date(event.ts ?? Date.now()));
      return (await userDeletedAt(userId))!.toISOString();
    });
    await step.run("erase-personal-data", async () => {
      await eraseUserProfile(userId);
      await eraseStoredEmails(userId);
    });
    const { customers, canceled, refunded } = await endBilling(
      step,
      { key: "clerk_user_id", id: userId },
      { recordedCustomer: () => findUserStripeCustomerId(userId), deletedAt },
    );
    return { userId, customers, canceled, refunded };
  },
);
