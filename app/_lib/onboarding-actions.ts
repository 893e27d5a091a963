"use server";

import { z } from "zod";
import { inngest } from "@/inngest/client";
import { onboardingPaymentConfirmed, onboardingSubmitted } from "@/inngest/events";
import { logger } from "@/lib/logger";
import {
  SubmissionRefusedError,
  storeCardConfirmation,
  storePaymentDetails,
} from "@/lib/onboarding/submissions";
import { withUser, type ActionResult } from "./actions";

/**
 * What the progress and onboarding pages send to the provisioning run. The user is always the
 * signed-in one (never an id from the browser); the browser only names a tier key and a Stripe
 * ConfirmationToken, and the server maps the tier to a price later. Each submission is checked
 * and stored (lib/onboarding/submissions: shapes, a few per user per minute) before its event is
 * sent (a run that begins to wait later finds it there); event ids make a double submit of the
 * same card one event.
 */

interface SubmissionResult extends ActionResult {
  /** The server does not know which plan to use: the page must ask for it. */
  needsPlan?: boolean;
}

const unreachable: SubmissionResult = {
  error: "We couldn't pass this on to set up your account. Please try again in a moment.",
};

/** Runs `pass` (store, then send); a refusal's message is shown, anything else is logged. */
async function passOn(
  userId: string,
  event: string,
  pass: () => Promise<unknown>,
): Promise<SubmissionResult> {
  try {
    await pass();
    return {};
  } catch (error) {
    if (error instanceof SubmissionRefusedError) {
      return { error: error.message, ...(error.code === "invalid_plan" && { needsPlan: true }) };
    }
    logger.error(`Could not pass on ${event}`, { userId }, error);
    return unreachable;
  }
}

function submit(userId: string, details: { tier?: unknown; confirmationToken?: unknown }) {
  return passOn(userId, "app/onboarding.submitted", async () => {
    const { tier, confirmationToken } = await storePaymentDetails(userId, details);
    await inngest.send(
      onboardingSubmitted.create(
        { userId, tier, confirmationToken },
        { id: `onboarding-submitted-${userId}-${confirmationToken}` },
      ),
    );
  });
}

// Whatever the browser sent, even nothing: the shapes are checked in lib, where the rules live.
const paymentDetails = z
  .object({ tier: z.unknown().optional(), confirmationToken: z.unknown().optional() })
  .catch({});

/** From /onboarding: a user who signed up without payment details picked a plan and a card. */
export const submitPlanAndCard = withUser(paymentDetails, (input, { userId }) =>
  submit(userId, { tier: input.tier ?? null, confirmationToken: input.confirmationToken }),
);

/**
 * From the progress page after a declined card: the new card continues the same run. The plan is
 * the one the page names, else the one chosen at sign-up (Clerk's unsafeMetadata).
 */
export const submitNewCard = withUser(paymentDetails, (input, { userId }) => submit(userId, input));

/**
 * After 3-D Secure finished in the browser, succeeded or not, for saving the card (a SetupIntent)
 * or paying the first invoice (a PaymentIntent): the run re-fetches the intent from Stripe, so
 * this is only a nudge and carries no outcome.
 */
export const reportCardConfirmation = withUser(
  z.object({ intentId: z.unknown().optional() }).catch({}),
  (input, { userId }) =>
    passOn(userId, "app/onboarding.payment_confirmed", async () => {
      const intentId = await storeCardConfirmation(userId, input.intentId);
      const intent = intentId.startsWith("pi_")
        ? { paymentIntentId: intentId }
        : { setupIntentId: intentId };
      await inngest.send(
        onboardingPaymentConfirmed.create(
          { userId, ...intent },
          { id: `onboarding-payment-confirmed-${userId}-${intentId}` },
        ),
      );
    }),
);
