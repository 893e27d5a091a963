import type Stripe from "stripe";
import { tierOfPrice } from "@/lib/billing/plans";
import { liveSubscriptionsOf } from "@/lib/billing/subscriptions";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import { ensureUserNotDeleted } from "@/lib/users";
import { classifyStripeError } from "@/lib/vendors/stripe";

/**
 * The Stripe side of provisioning: save the card, start the trial. Each write checks the user's
 * tombstone first and carries an idempotency key derived from the user and the step, with
 * parameters fixed by the step's inputs, so a retried step replays Stripe's first answer. Stripe's
 * own network retries are off (lib/vendors/stripe): the workflow step is the retry loop.
 */

/** What confirming a SetupIntent came to: a saved card, a 3-D Secure challenge, or a refusal. */
export type SetupOutcome =
  | { status: "succeeded"; setupIntentId: string; paymentMethodId: string }
  | { status: "requires_action"; setupIntentId: string; clientSecret: string }
  | { status: "failed"; reason: string };

export const idempotencyKeys = {
  /** Per token: a new card is a new request, a retry of the same card the same one. */
  setupIntent: (userId: string, confirmationToken: string) =>
    `onboarding:${userId}:setup-intent:${confirmationToken}`,
  subscription: (userId: string) => `onboarding:${userId}:subscription`,
};

/**
 * Saves the card behind a ConfirmationToken for off-session use: a SetupIntent created and
 * confirmed in one call. A declined card or a token Stripe no longer accepts is an outcome the
 * user can act on, not an error; Stripe being unavailable is an error, so the step retries.
 */
export async function saveCard(
  stripe: Stripe,
  input: { userId: string; customerId: string; confirmationToken: string },
): Promise<SetupOutcome> {
  await ensureUserNotDeleted(input.userId);
  try {
    const setupIntent = await stripe.setupIntents.create(
      {
        customer: input.customerId,
        confirmation_token: input.confirmationToken,
        confirm: true,
        usage: "off_session",
        // Where a redirect-based authentication brings the browser back.
        return_url: new URL(paths.afterSignUp, env.APP_URL).href,
        metadata: { clerk_user_id: input.userId },
      },
      { idempotencyKey: idempotencyKeys.setupIntent(input.userId, input.confirmationToken) },
    );
    return outcomeOf(setupIntent);
  } catch (error) {
    const failure = classifyStripeError(error);
    // A card error's message is written for the customer by Stripe ("Your card has insufficient
    // funds."): the one vendor text the user sees.
    if (failure?.kind === "permanent" && failure.code === "card_refused") {
      return { status: "failed", reason: failure.message };
    }
    // A token Stripe no longer accepts (expired, used or unknown), or a card it no longer finds.
    if (failure?.kind === "permanent" && ["token_refused", "not_found"].includes(failure.code)) {
      return { status: "failed", reason: "Your card details expired. Please enter them again." };
    }
    throw error;
  }
}

/** The SetupIntent as Stripe has it now: 3-D Secure may be finished, abandoned or still going. */
export async function setupIntentOutcome(stripe: Stripe, setupIntentId: string) {
  return outcomeOf(await stripe.setupIntents.retrieve(setupIntentId));
}

/** The outcome once the wait for 3-D Secure is over: still unconfirmed means it failed. */
export function settledSetupOutcome(outcome: SetupOutcome): SetupOutcome {
  return outcome.status === "requires_action"
    ? { status: "failed", reason: "Your bank did not confirm the card." }
    : outcome;
}

/**
 * The user's subscription. On a rerun (an operator's retry, perhaps after Stripe's 24-hour key
 * window) a live one already on the customer for a catalogue price is adopted; otherwise the
 * trial starts under the per-user key, which also covers retries within this run. So a customer
 * has at most one, however often provisioning runs.
 */
export async function startTrialSubscription(
  stripe: Stripe,
  input: {
    userId: string;
    customerId: string;
    priceId: string;
    paymentMethodId: string;
    rerun: boolean;
  },
): Promise<{ id: string; status: string; adopted: boolean }> {
  await ensureUserNotDeleted(input.userId);
  const existing = input.rerun
    ? (await liveSubscriptionsOf(stripe, input.customerId)).find((subscription) =>
        subscription.items.data.some((item) => tierOfPrice(item.price.id)),
      )
    : undefined;
  if (existing) return { id: existing.id, status: existing.status, adopted: true };
  const days = env.TRIAL_DAYS;
  const subscription = await stripe.subscriptions.create(
    {
      customer: input.customerId,
      items: [{ price: input.priceId }],
      default_payment_method: input.paymentMethodId,
      // Stripe refuses a zero-day trial; TRIAL_DAYS=0 means none.
      ...(days > 0 ? { trial_period_days: days } : {}),
      metadata: { clerk_user_id: input.userId },
    },
    { idempotencyKey: idempotencyKeys.subscription(input.userId) },
  );
  return { id: subscription.id, status: subscription.status, adopted: false };
}

function outcomeOf(setupIntent: Stripe.SetupIntent): SetupOutcome {
  const paymentMethod = setupIntent.payment_method;
  if (setupIntent.status === "succeeded" && paymentMethod) {
    return {
      status: "succeeded",
      setupIntentId: setupIntent.id,
      paymentMethodId: typeof paymentMethod === "string" ? paymentMethod : paymentMethod.id,
    };
  }
  if (setupIntent.status === "requires_action" && setupIntent.client_secret) {
    return {
      status: "requires_action",
      setupIntentId: setupIntent.id,
      clientSecret: setupIntent.client_secret,
    };
  }
  // Stripe writes card errors' messages for the customer; anything else is for the log only.
  const error = setupIntent.last_setup_error;
  return {
    status: "failed",
    reason:
      error?.type === "card_error" && error.message
        ? error.message
        : "Your card could not be saved. Please try another card.",
  };
}
