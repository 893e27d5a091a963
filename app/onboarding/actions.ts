"use server";

import { auth } from "@clerk/nextjs/server";
import { inngest } from "@/inngest/client";
import { onboardingPaymentConfirmed, onboardingSubmitted } from "@/inngest/events";
import { isTier } from "@/lib/billing/plans";
import { logger } from "@/lib/logger";
import { storeCardConfirmation, storePaymentDetails } from "@/lib/onboarding/submissions";
import { clerk } from "@/lib/vendors/clerk";

/**
 * What the progress and onboarding pages send to the provisioning run. The user is always the
 * signed-in one (never an id from the browser); the browser only names a tier key and a Stripe
 * ConfirmationToken, and the server maps the tier to a price later. Each submission is stored
 * before its event is sent (a run that begins to wait later finds it there); event ids make a
 * double submit of the same card one event.
 */

export interface ActionResult {
  error?: string;
  /** The server does not know which plan to use: the page must ask for it. */
  needsPlan?: boolean;
}

const confirmationTokenPattern = /^ctoken_[A-Za-z0-9_]+$/;
/** A SetupIntent (saving the card) or a PaymentIntent (paying the first invoice without a trial). */
const intentPattern = /^(seti|pi)_[A-Za-z0-9_]+$/;

const signedOut: ActionResult = { error: "Your session has ended. Sign in again to continue." };
const unreachable: ActionResult = {
  error: "We couldn't pass this on to set up your account. Please try again in a moment.",
};

async function signedInUser(): Promise<string | null> {
  const { userId } = await auth();
  return userId;
}

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
export async function submitPlanAndCard(input: {
  tier: string;
  confirmationToken: string;
}): Promise<ActionResult> {
  const userId = await signedInUser();
  if (!userId) return signedOut;
  if (!isTier(input.tier)) return { error: "Choose one of the plans.", needsPlan: true };
  if (!confirmationTokenPattern.test(input.confirmationToken)) {
    return { error: "Your card details did not come through. Please enter them again." };
  }
  return submit(userId, input.tier, input.confirmationToken);
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
  if (!confirmationTokenPattern.test(input.confirmationToken)) {
    return { error: "Your card details did not come through. Please enter them again." };
  }
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
}

/**
 * After 3-D Secure finished in the browser, succeeded or not, for the intent the page's client
 * secret belongs to: the run re-fetches it from Stripe, so this is only a nudge and carries no
 * outcome.
 */
export async function reportCardConfirmation(input: { intentId: string }): Promise<ActionResult> {
  const userId = await signedInUser();
  if (!userId) return signedOut;
  const { intentId } = input;
  if (!intentPattern.test(intentId)) {
    return { error: "We couldn't tell which card your bank confirmed. Please reload the page." };
  }
  const intent = intentId.startsWith("pi_")
    ? { paymentIntentId: intentId }
    : { setupIntentId: intentId };
  try {
    await storeCardConfirmation(userId, intentId);
    await inngest.send(
      onboardingPaymentConfirmed.create(
        { userId, ...intent },
        { id: `onboarding-payment-confirmed-${userId}-${intentId}` },
      ),
    );
    return {};
  } catch (error) {
    logger.error("Could not pass on app/onboarding.payment_confirmed", { userId }, error);
    return unreachable;
  }
}
