import { inngest } from "@/inngest/client";
import { userCreated, userDeleted } from "@/inngest/events";
import { failureReasonForUser } from "@/inngest/middleware/workflow-errors";
import { sendUserEmail } from "@/lib/email/send";
import { env } from "@/lib/env";
import { primaryEmailAddress } from "@/lib/onboarding/clerk-user";
import { recordSteps, recordWelcomeEmailFailed } from "@/lib/onboarding/progress";
import { trialOfferRecipient, trialOfferSkipReason } from "@/lib/onboarding/trial";

/**
 * The onboarding drip: a welcome email as soon as the user exists (it does not wait for billing),
 * then after TRIAL_OFFER_DELAY a trial offer to users still trialing. Each kind reaches each user
 * once (see sendUserEmail).
 */
export const sendOnboardingEmails = inngest.createFunction(
  {
    id: "send-onboarding-emails",
    name: "Send onboarding emails",
    triggers: [userCreated],
    idempotency: "event.data.id",
    concurrency: { key: "event.data.id", limit: 1 },
    // Resend allows 2 requests per second. Each run sends one email when it starts and one when
    // its sleep ends, TRIAL_OFFER_DELAY later: starting at most 1 run a second keeps both waves
    // together within 2 a second.
    throttle: { limit: 1, period: "1s" },
    cancelOn: [{ event: userDeleted, match: "data.id" }],
    retries: 5,
    // A welcome email that failed for good would otherwise stay "running" on the progress page.
    onFailure: async ({ event, error, logger }) => {
      logger.error("onboarding emails failed", { failedRunId: event.data.run_id, error });
      await recordWelcomeEmailFailed(
        event.data.event.data.id,
        failureReasonForUser(
          error,
          "We could not send your welcome email. Please contact support.",
        ),
      );
    },
  },
  async ({ event, step }) => {
    const user = event.data;
    const userId = user.id;
    const to = primaryEmailAddress(user);
    if (!to) {
      await step.run("skip-emails", () =>
        recordSteps(userId, "welcome-email", "skipped", "No email address"),
      );
      return { userId, welcome: "skipped: no email address" };
    }
    const firstName = user.first_name ?? null;

    const welcome = await step.run("send-welcome-email", async () => {
      await recordSteps(userId, "welcome-email", "running");
      const sent = await sendUserEmail({ userId, kind: "welcome", to, firstName });
      await recordSteps(userId, "welcome-email", "done");
      return sent;
    });

    await step.sleep("wait-before-trial-offer", env.TRIAL_OFFER_DELAY);

    // The address as it is now, read once: every retry of the send uses the same one (Resend
    // refuses an idempotency key reused with other parameters).
    const currentAddress = await step.run("find-current-email-address", () =>
      trialOfferRecipient(userId, to),
    );
    const trialOffer = await step.run("send-trial-offer-email", async () => {
      const skip =
        (await trialOfferSkipReason(userId)) ?? (currentAddress ? null : "no email address");
      if (skip) return { kind: "trial_offer", outcome: `skipped: ${skip}` };
      return sendUserEmail({ userId, kind: "trial_offer", to: currentAddress!, firstName });
    });

    return { userId, welcome: welcome.outcome, trialOffer: trialOffer.outcome };
  },
);
