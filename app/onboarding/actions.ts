"use server";

import { auth } from "@clerk/nextjs/server";
import { inngest } from "@/inngest/client";
import { onboardingPaymentConfirmed, onboardingSubmitted } from "@/inngest/events";
import { logger } from "@/lib/logger";
import {
  SubmissionRefusedError,
  storeCardConfirmation,
  storePaymentDetails,
} from "@/lib/onboarding/submissions";

/**
 * What the progress and onboarding pages send to the provisioning run. The user is always the
 * signed-in one (never an id from the browser); the browser only names a tier key and a Stripe
 * ConfirmationToken, and the server maps the tier to a price later. Each submission is checked
 * and stored (lib/onboarding/submissions: shapes, a few per user per minute) before its event is
 * sent (a run that begins to wait later finds it there); event ids make a double submit of the
 * same card one event.
 */

export interface ActionResult {
  error?: string;
  /** The server does not know which plan to use: the page must ask for it. */
  needsPlan?: boolean;
}

const signedOut: ActionResult = { error: "Your session has ended. Sign in again to continue." };
const unreachable: ActionResult = {
  error: "We couldn't pass this on to set up your account. Please try again in a moment.",
};

async function signedInUser(): Promise<string | null> {
  const { userId } = await auth();
  return userId;
}

/** Runs `pass` (store, then send); a refusal's message is shown, anything else is logged. */
async function passOn(userId: string, event: string, pass: () => Promise<unknown>) {
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

async function submit(userId: string, input: { tier?: unknown; confirmationToken: unknown }) {
  return passOn(userId, "app/onboarding.submitted", async () => {
    const { tier, confirmationToken } = await storePaymentDetails(userId, input);
    await inngest.send(
      onboardingSubmitted.create(
        { userId, tier, confirmationToken },
        { id: `onboarding-submitted-${userId}-${confirmationToken}` },
      ),
    );
  });
}

/** From /onboarding: a user who signed up without payment details picked a plan and a card. */
export async function submitPlanAndCard(input: {
  tier: string;
  confirmationToken: string;
}): Promise<ActionResult> {
  const userId = await signedInUser();
  if (!userId) return signedOut;
  // Whatever the browser sent: the shapes are checked in lib.
  return submit(userId, { tier: input?.tier ?? null, confirmationToken: input?.confirmationToken });
}

/**
 * From the progress page after a declined card: the new card continues the same run. The plan is
 * the one the page names, else the one chosen at sign-up (Clerk's unsafeMetadata).
 */
export async function submitNewCard(input: {
  confirmationToken: string;
  tier?: string;
}): Promise<ActionResult> {
  const userId = await signedInUser();
  if (!userId) return signedOut;
  return submit(userId, { tier: input?.tier, confirmationToken: input?.confirmationToken });
}

/**
 * After 3-D Secure finished in the browser, succeeded or not: the run re-fetches the SetupIntent
 * from Stripe, so this is only a nudge and carries no outcome.
 */
export async function reportCardConfirmation(input: {
  setupIntentId: string;
}): Promise<ActionResult> {
  const userId = await signedInUser();
  if (!userId) return signedOut;
  return passOn(userId, "app/onboarding.payment_confirmed", async () => {
    const setupIntentId = await storeCardConfirmation(userId, input?.setupIntentId);
    await inngest.send(
      onboardingPaymentConfirmed.create(
        { userId, setupIntentId },
        { id: `onboarding-payment-confirmed-${userId}-${setupIntentId}` },
      ),
    );
  });
}
