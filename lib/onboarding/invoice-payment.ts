import type Stripe from "stripe";
import { PermanentError } from "@/lib/errors";
import { ensureUserNotDeleted } from "@/lib/users";
import { classifyStripeError, idOf } from "@/lib/vendors/stripe";
import type { BankOutcome } from "./bank-outcome";
import { failedOnEveryTry, idempotencyKeys, type StepTry } from "./provisioning";

/**
 * Paying an invoice with a card while the customer is on the page: the first invoice of a
 * subscription without a trial (at sign-up, or when subscribing again), or an overdue renewal.
 * Charging the card may be refused, or the bank may want the customer to authenticate (3-D
 * Secure); another card then pays the same invoice (never a second subscription). Read from the
 * invoice's default payment and its PaymentIntent: since API version 2025-03-31 an invoice names
 * no PaymentIntent itself.
 */

/** How the payment stands: made, waiting for the customer's bank, or refused and why. */
export type PaymentOutcome = BankOutcome<Record<never, never>, { paymentIntentId: string }>;

/** The invoice's payment as Stripe has it now. */
export async function invoicePaymentOutcome(
  stripe: Stripe,
  invoiceId: string,
): Promise<PaymentOutcome> {
  const { payment, intent } = await paymentOf(stripe, invoiceId);
  return payment.status === "paid" ? { status: "succeeded" } : outcomeOf(intent);
}

/**
 * Pays the open invoice with the card, on session (the user is on the progress page, so the bank
 * may ask them to authenticate). The invoice is read first (outcomeWith): when it is paid, or its
 * payment's state comes from this card, that is the answer, with no second charge; so is it after
 * Stripe failed on the step's last try. A subscription adopted from an earlier run is paid with
 * the new card.
 */
export async function payInvoice(
  stripe: Stripe,
  input: { userId: string; invoiceId: string; paymentMethodId: string } & Pick<StepTry, "lastTry">,
): Promise<PaymentOutcome> {
  await ensureUserNotDeleted(input.userId);
  const before = await outcomeWith(stripe, input);
  if (before) return before;
  try {
    const invoice = await stripe.invoices.pay(
      input.invoiceId,
      { payment_method: input.paymentMethodId, off_session: false },
      {
        idempotencyKey: idempotencyKeys.invoicePayment(
          input.userId,
          input.invoiceId,
          input.paymentMethodId,
        ),
      },
    );
    if (invoice.status === "paid") return { status: "succeeded" };
  } catch (error) {
    const failure = classifyStripeError(error);
    const refusedOrChallenged = failure?.kind === "permanent" && failure.code === "card_refused";
    if (!refusedOrChallenged) {
      if (!failedOnEveryTry(error, input)) throw error;
      // The last try: the charge may have gone through after all (its answer lost, or a 500
      // after it), so Stripe is asked before the user is told that it failed.
      return (
        (await outcomeWith(stripe, input)) ?? {
          status: "failed",
          reason: "We could not take the payment just now. Please enter your card again.",
        }
      );
    }
  }
  // Refused, or waiting for the bank: the PaymentIntent says which, and why.
  return invoicePaymentOutcome(stripe, input.invoiceId);
}

/**
 * The invoice paid, or the state of its payment when that comes from this card (the charge when
 * the subscription was made with it, or a try whose answer was lost or is a 500 Stripe replays
 * for its key); null when this card has not been charged for it.
 */
async function outcomeWith(
  stripe: Stripe,
  input: { invoiceId: string; paymentMethodId: string },
): Promise<PaymentOutcome | null> {
  const { payment, intent } = await paymentOf(stripe, input.invoiceId);
  if (payment.status === "paid") return { status: "succeeded" };
  return triedWith(intent, input.paymentMethodId) ? outcomeOf(intent) : null;
}

async function paymentOf(stripe: Stripe, invoiceId: string) {
  const payments = await stripe.invoicePayments.list({
    invoice: invoiceId,
    expand: ["data.payment.payment_intent"],
  });
  const payment = payments.data.find((candidate) => candidate.is_default);
  const intent = payment?.payment.payment_intent;
  if (!payment || !intent || typeof intent === "string") {
    throw new Error(`Stripe shows no payment for invoice ${invoiceId}`);
  }
  if (payment.status === "canceled") {
    // Stripe voids the first invoice when an incomplete subscription expires (after 23 hours).
    throw new PermanentError(
      "The first payment was not made within 23 hours, so the subscription was cancelled.",
    );
  }
  return { payment, intent };
}

/** Whether the PaymentIntent's current state comes from charging this card. */
function triedWith(intent: Stripe.PaymentIntent, paymentMethodId: string) {
  return (
    idOf(intent.payment_method) === paymentMethodId ||
    idOf(intent.last_payment_error?.payment_method) === paymentMethodId
  );
}

function outcomeOf(intent: Stripe.PaymentIntent): PaymentOutcome {
  if (intent.status === "succeeded") return { status: "succeeded" };
  if (intent.status === "requires_action" && intent.client_secret) {
    return {
      status: "requires_action",
      paymentIntentId: intent.id,
      clientSecret: intent.client_secret,
    };
  }
  // A card charge settles within seconds: the step is retried until it has.
  if (intent.status === "processing") throw new Error(`Stripe is still processing ${intent.id}`);
  return {
    status: "failed",
    reason: intent.last_payment_error?.message ?? "Your card was declined.",
  };
}
