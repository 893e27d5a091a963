import type Stripe from "stripe";
import { belongsTo, ownerMetadata, type BillingOwner } from "@/lib/billing/ownership";
import { cancelSubscriptionNow, liveSubscriptionsOf } from "@/lib/billing/subscriptions";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import { ensureUserNotDeleted } from "@/lib/users";
import { classifyStripeError, idOf } from "@/lib/vendors/stripe";
import type { BankOutcome } from "./bank-outcome";

/**
 * The Stripe side of provisioning: save the card, start the trial. Each write checks the user's
 * tombstone first and carries an idempotency key derived from the user and the step, with
 * parameters fixed by the step's inputs, so a retried step replays Stripe's first answer. Stripe's
 * own network retries are off (lib/vendors/stripe): the workflow step is the retry loop.
 *
 * Stripe also replays a 500 that came after the object was made, for 24 hours. So when an earlier
 * attempt or run may have made it (`lookInStripe`), the object is looked for in Stripe first.
 */

/** How a step is being run: whether Stripe may hold its object already, and whether it is the last try. */
export interface StepTry {
  /** An earlier attempt of the step, or an earlier run, may have made the object. */
  lookInStripe: boolean;
  /** No retry follows this one. */
  lastTry: boolean;
}

/** What confirming a SetupIntent came to: a saved card, a 3-D Secure challenge, or a refusal. */
export type SetupOutcome = BankOutcome<
  { setupIntentId: string; paymentMethodId: string },
  { setupIntentId: string }
>;

export const idempotencyKeys = {
  /** Per token: a new card is a new request, a retry of the same card the same one. */
  setupIntent: (userId: string, confirmationToken: string) =>
    `onboarding:${userId}:setup-intent:${confirmationToken}`,
  /**
   * Per run, plan and card: a retry of the step replays it, while another plan or card (chosen
   * after a refused first charge) or a rerun (after the failed run cancelled its subscription,
   * perhaps with the same saved card) makes a new one.
   */
  subscription: (input: {
    userId: string;
    runId: string;
    priceId: string;
    paymentMethodId: string;
  }) =>
    `onboarding:${input.userId}:subscription:${input.runId}:${input.priceId}:${input.paymentMethodId}`,
  /** Per invoice and card: a new card is a new payment, a retry of the same one the same. */
  invoicePayment: (userId: string, invoiceId: string, paymentMethodId: string) =>
    `onboarding:${userId}:invoice:${invoiceId}:${paymentMethodId}`,
};

/**
 * Saves the card behind a ConfirmationToken for off-session use: a SetupIntent created and
 * confirmed in one call. A declined card or a token Stripe no longer accepts is an outcome the
 * user can act on, not an error; Stripe being unavailable is an error, so the step retries.
 */
export async function saveCard(
  stripe: Stripe,
  input: { userId: string; customerId: string; confirmationToken: string } & StepTry,
): Promise<SetupOutcome> {
  await ensureUserNotDeleted(input.userId);
  const earlier = input.lookInStripe ? await setupIntentFor(stripe, input) : null;
  if (earlier) return setupOutcomeOf(earlier);
  try {
    const setupIntent = await stripe.setupIntents.create(
      {
        customer: input.customerId,
        confirmation_token: input.confirmationToken,
        confirm: true,
        usage: "off_session",
        // Where a redirect-based authentication brings the browser back.
        return_url: new URL(paths.afterSignUp, env.APP_URL).href,
        // The token names the SetupIntent an earlier attempt made (setupIntentFor).
        metadata: {
          ...ownerMetadata(userOwner(input.userId)),
          confirmation_token: input.confirmationToken,
        },
      },
      { idempotencyKey: idempotencyKeys.setupIntent(input.userId, input.confirmationToken) },
    );
    return setupOutcomeOf(setupIntent);
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
    // Nothing was made (the list said so) and Stripe failed on every try, perhaps with a 500 it
    // replays for this token's key: the user enters the card again, a new token and a new key.
    // (A card saved by that last try after all charges nothing.)
    if (failedOnEveryTry(error, input)) {
      return {
        status: "failed",
        reason: "We could not save your card just now. Please enter it again.",
      };
    }
    throw error;
  }
}

/**
 * The SetupIntent an earlier attempt made with this token, if any. Lists, unlike search, see a
 * new object at once, so not finding it means the earlier attempt made none.
 */
async function setupIntentFor(
  stripe: Stripe,
  input: { customerId: string; confirmationToken: string },
): Promise<Stripe.SetupIntent | null> {
  for await (const setupIntent of stripe.setupIntents.list({
    customer: input.customerId,
    limit: 100,
  })) {
    if (setupIntent.metadata?.confirmation_token === input.confirmationToken) return setupIntent;
  }
  return null;
}

/** The SetupIntent as Stripe has it now: 3-D Secure may be finished, abandoned or still going. */
export async function setupIntentOutcome(stripe: Stripe, setupIntentId: string) {
  return setupOutcomeOf(await stripe.setupIntents.retrieve(setupIntentId));
}

/**
 * Whether this was the step's last try and Stripe failed on every one (an outage, or a 500 it
 * replays for the step's key): an error the user can get past with another card.
 */
export function failedOnEveryTry(error: unknown, { lastTry }: Pick<StepTry, "lastTry">) {
  const failure = classifyStripeError(error);
  return lastTry && failure !== null && failure.kind !== "permanent";
}

/** A started (or adopted) subscription; `unpaidInvoiceId`: the first invoice, while it is unpaid. */
export interface StartedSubscription {
  id: string;
  status: string;
  /** The price it is on: the plan's, or for one adopted from an earlier run, that run's. */
  priceId: string;
  adopted: boolean;
  unpaidInvoiceId: string | null;
  /** The user has had a free trial before (lib/billing/trial-eligibility), so none was given. */
  trialWithheld: boolean;
}

const userOwner = (userId: string): BillingOwner => ({ key: "clerk_user_id", id: userId });

/**
 * The user's subscription. When an earlier attempt or run may have made it (a lost answer, a 500
 * Stripe replays for the key, an operator's rerun after the key's 24 hours or a price change), a
 * live one already on the customer that onramp made for this user is adopted, whatever its price;
 * otherwise it starts under a key per run, plan and card. So a customer has at most one, however often
 * provisioning runs. Without a trial the first invoice is charged at once, and a refused charge
 * leaves it `incomplete` with that invoice open.
 */
export async function startTrialSubscription(
  stripe: Stripe,
  input: {
    userId: string;
    /** The provisioning run (the same on every retry of its steps). */
    runId: string;
    customerId: string;
    priceId: string;
    paymentMethodId: string;
    lookInStripe: boolean;
    /** Whether the user may have a free trial (one per person). */
    trial: boolean;
  },
): Promise<StartedSubscription> {
  await ensureUserNotDeleted(input.userId);
  const owner = userOwner(input.userId);
  const existing = input.lookInStripe
    ? (await liveSubscriptionsOf(stripe, input.customerId)).find((subscription) =>
        belongsTo(subscription.metadata, owner),
      )
    : undefined;
  if (existing) return started(existing, true);
  const days = input.trial ? env.TRIAL_DAYS : 0;
  const subscription = await stripe.subscriptions.create(
    {
      customer: input.customerId,
      items: [{ price: input.priceId }],
      default_payment_method: input.paymentMethodId,
      // Stripe refuses a zero-day trial; TRIAL_DAYS=0 means none.
      ...(days > 0 ? { trial_period_days: days } : {}),
      // A card that later pays an invoice (a new one, after a refused first charge) becomes the
      // one renewals charge.
      payment_settings: { save_default_payment_method: "on_subscription" },
      metadata: ownerMetadata(owner),
    },
    { idempotencyKey: idempotencyKeys.subscription(input) },
  );
  return { ...started(subscription, false), trialWithheld: !input.trial && env.TRIAL_DAYS > 0 };
}

/**
 * The user chose another plan while the first invoice of this one was still unpaid: it is
 * cancelled (nothing was charged), and the new plan starts with the new card.
 */
export async function cancelUnpaidSubscription(stripe: Stripe, subscriptionId: string) {
  return cancelSubscriptionNow(stripe, subscriptionId, "The user chose another plan before paying");
}

function started(subscription: Stripe.Subscription, adopted: boolean): StartedSubscription {
  const invoiceId = idOf(subscription.latest_invoice) ?? null;
  if (subscription.status === "incomplete" && !invoiceId) {
    throw new Error(`Stripe shows no first invoice for incomplete ${subscription.id}`);
  }
  return {
    id: subscription.id,
    status: subscription.status,
    priceId: subscription.items.data[0]?.price.id ?? "",
    adopted,
    unpaidInvoiceId: subscription.status === "incomplete" ? invoiceId : null,
    trialWithheld: false,
  };
}

/** What a SetupIntent came to: a saved card, a 3-D Secure challenge, or a refusal. */
export function setupOutcomeOf(setupIntent: Stripe.SetupIntent): SetupOutcome {
  const paymentMethod = setupIntent.payment_method;
  if (setupIntent.status === "succeeded" && paymentMethod) {
    return {
      status: "succeeded",
      setupIntentId: setupIntent.id,
      paymentMethodId: idOf(paymentMethod),
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
