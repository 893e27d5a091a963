import type { GetStepTools } from "inngest";
import type { inngest } from "@/inngest/client";
import { onboardingPaymentConfirmed } from "@/inngest/events";
import { numbered } from "@/inngest/steps/step-id";
import type { BankOutcome } from "@/lib/onboarding/bank-outcome";
import { cardConfirmationStored } from "@/lib/onboarding/submissions";

/**
 * How long the run waits for the browser's word that 3-D Secure is done before asking Stripe,
 * first, and then, while Stripe still waits for the bank, for the rest of the hour the user has.
 */
export const CONFIRMATION_TIMEOUTS = { first: "1m", rest: "59m" } as const;

/**
 * The steps waiting for the browser's word on saving a card and on paying the first invoice, and
 * the field of `app/onboarding.payment-confirmed` that names the intent.
 */
const confirmationSteps = {
  card: {
    lookFor: "look-for-card-confirmation",
    wait: "wait-for-card-confirmation",
    waitLate: "wait-for-card-confirmation-late",
    intentField: "setupIntentId",
  },
  payment: {
    lookFor: "look-for-payment-confirmation",
    wait: "wait-for-payment-confirmation",
    waitLate: "wait-for-payment-confirmation-late",
    intentField: "paymentIntentId",
  },
} as const;

/**
 * Waits for the user to pass their bank's 3-D Secure check. The browser finishes it with the
 * client secret and says so, naming the intent; that word is only a hint (it may never come, or
 * come before the wait began), so without it Stripe is asked after a minute (`look`), and the run
 * waits out the hour only while Stripe still waits for the bank. The outcome is Stripe's, settled
 * by the caller's `check` step, which is handed the outcome when `look` already found it final.
 */
export async function awaitBank<Outcome extends BankOutcome>(
  step: GetStepTools<typeof inngest>,
  wait: {
    userId: string;
    /** Which card the user is on (numbers the steps). */
    attempt: number;
    subject: keyof typeof confirmationSteps;
    intentId: string;
    /** A step reading the intent's outcome as Stripe has it now. */
    look: () => Promise<Outcome>;
    /** The step settling the outcome once the wait is over. */
    check: (final: Outcome | null) => Promise<Outcome>;
  },
): Promise<Outcome> {
  const { userId, attempt, intentId } = wait;
  const ids = confirmationSteps[wait.subject];
  const waitForConfirmation = (id: string, timeout: string) =>
    step.waitForEvent(numbered(id, attempt), {
      event: onboardingPaymentConfirmed,
      timeout,
      // Intent ids are [A-Za-z0-9_] (Stripe's format), so quoting them is safe.
      if: `async.data.userId == event.data.id && async.data.${ids.intentField} == '${intentId}'`,
    });
  const confirmed =
    (await step.run(numbered(ids.lookFor, attempt), () =>
      cardConfirmationStored(userId, intentId),
    )) || (await waitForConfirmation(ids.wait, CONFIRMATION_TIMEOUTS.first));
  const looked = confirmed ? null : await wait.look();
  const bankStillDeciding = looked?.status === "requires_action";
  if (bankStillDeciding) await waitForConfirmation(ids.waitLate, CONFIRMATION_TIMEOUTS.rest);
  return wait.check(bankStillDeciding ? null : looked);
}
