"use server";

import { z } from "zod";
import { inngest } from "@/inngest/client";
import { onboardingPaymentConfirmed, onboardingSubmitted } from "@/inngest/events";
import { isTier } from "@/lib/billing/plans";
import { logger } from "@/lib/logger";
import { storeCardConfirmation, storePaymentDetails } from "@/lib/onboarding/submissions";
import { clerk } from "@/lib/vendors/clerk";
import { withUser, type ActionResult } from "./actions";

/**
 * What the progress and onboarding pages send to the provisioning run. The user is always the
 * signed-in one (never an id from the browser); the browser only names a tier key and a Stripe
 * ConfirmationToken, and the server maps the tier to a price later. Each submission is stored
 * before its event is sent (a run that begins to wait later finds it there); event ids make a
 * double submit of the same card one event.
 */

interface SubmissionResult extends ActionResult {
  /** The server does not know which plan to use: the page must ask for it. */
  needsPlan?: boolean;
}

const confirmationToken = z
  .string()
  .regex(
    /^ctoken_[A-Za-z0-9_]+$/,
    "Your card details did not come through. Please enter them again.",
  );

const unreachable: SubmissionResult = {
  error: "We couldn't pass this on to set up your account. Please try again in a moment.",
};

async function submit(userId: string, tier: string, confirmationToken: string) {
  try {
    await storePaymentDetails(userId, { tier, confirmationToken });
    await inngest.send(
      onboardingSubmitted.create(
        { userId, tier, confirmationToken },
        { id: `onboarding-submitted-${userId}-${confirmationToken}` },
      ),
    );
    return {};
  } catch (error) {
    logger.error("Could not pass on app/onboarding.submitted", { userId }, error);
    return unreachable;
  }
}

/** From /onboarding: a user who signed up without payment details picked a plan and a card. */
export const submitPlanAndCard = withUser(
  z.object({ tier: z.string(), confirmationToken }),
  async (input, { userId }): Promise<SubmissionResult> => {
    if (!isTier(input.tier)) return { error: "Choose one of the plans.", needsPlan: true };
    return submit(userId, input.tier, input.confirmationToken);
  },
);

/**
 * From the progress page after a declined card: the new card continues the same run. The plan is
 * the one the page names, else the one chosen at sign-up (Clerk's unsafeMetadata).
 */
export const submitNewCard = withUser(
  z.object({ confirmationToken, tier: z.string().optional() }),
  async (input, { userId }): Promise<SubmissionResult> => {
    let tier = input.tier;
    if (tier === undefined) {
      try {
        tier = String((await clerk.users.getUser(userId)).unsafeMetadata.tier ?? "");
      } catch (error) {
        logger.error("Could not read the plan chosen at sign-up", { userId }, error);
        return unreachable;
      }
    }
    if (!isTier(tier)) return { error: "Choose a plan for your new card.", needsPlan: true };
    return submit(userId, tier, input.confirmationToken);
  },
);

/**
 * After 3-D Secure finished in the browser, succeeded or not: the run re-fetches the SetupIntent
 * from Stripe, so this is only a nudge and carries no outcome.
 */
export const reportCardConfirmation = withUser(
  z.object({
    setupIntentId: z
      .string()
      .regex(
        /^seti_[A-Za-z0-9_]+$/,
        "We couldn't tell which card your bank confirmed. Please reload the page.",
      ),
  }),
  async ({ setupIntentId }, { userId }): Promise<ActionResult> => {
    try {
      await storeCardConfirmation(userId, setupIntentId);
      await inngest.send(
        onboardingPaymentConfirmed.create(
          { userId, setupIntentId },
          { id: `onboarding-payment-confirmed-${userId}-${setupIntentId}` },
        ),
      );
      return {};
    } catch (error) {
      logger.error("Could not pass on app/onboarding.payment_confirmed", { userId }, error);
      return unreachable;
    }
  },
);
