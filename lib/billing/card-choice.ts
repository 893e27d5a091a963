import type Stripe from "stripe";
import { PermanentError } from "@/lib/errors";
import type { BankOutcome } from "@/lib/onboarding/bank-outcome";
import { saveCard, setupOutcomeOf } from "@/lib/onboarding/provisioning";
import { idOf } from "@/lib/vendors/stripe";

/**
 * The card a user pays with from the dashboard: the one already saved with Stripe, a new one
 * (a ConfirmationToken from Stripe.js, saved as provisioning saves cards), or a new one whose
 * bank check (3-D Secure) the browser has just finished (its SetupIntent).
 */
export type CardChoice =
  { saved: true } | { confirmationToken: string } | { setupIntentId: string };

/**
 * The card to charge, as a PaymentMethod of the customer, or the step the user must take first
 * (their bank's check of a new card) or why there is none. A SetupIntent named by the browser
 * must be the customer's own.
 */
export async function cardToCharge(
  stripe: Stripe,
  input: { userId: string; customerId: string; card: CardChoice },
): Promise<{ paymentMethodId: string } | Exclude<BankOutcome, { status: "succeeded" }>> {
  const { card, customerId } = input;
  if ("saved" in card) {
    const paymentMethodId = await savedCardOf(stripe, customerId);
    return paymentMethodId
      ? { paymentMethodId }
      : { status: "failed", reason: "There is no card on file. Enter a card." };
  }
  const outcome =
    "confirmationToken" in card
      ? await saveCard(stripe, {
          ...input,
          confirmationToken: card.confirmationToken,
          // A double submit may have saved it already: Stripe's list says so.
          lookInStripe: true,
          lastTry: false,
        })
      : setupOutcomeOf(await customersSetupIntent(stripe, customerId, card.setupIntentId));
  if (outcome.status === "succeeded") return { paymentMethodId: outcome.paymentMethodId };
  if (outcome.status === "requires_action") {
    return { status: "requires_action", clientSecret: outcome.clientSecret };
  }
  return outcome;
}

/** The card renewals charge: the newest subscription's default, else the customer's. */
async function savedCardOf(stripe: Stripe, customerId: string): Promise<string | null> {
  const [newest] = (
    await stripe.subscriptions.list({ customer: customerId, status: "all", limit: 1 })
  ).data;
  const fromSubscription = idOf(newest?.default_payment_method);
  if (fromSubscription) return fromSubscription;
  const customer = await stripe.customers.retrieve(customerId);
  return customer.deleted
    ? null
    : (idOf(customer.invoice_settings?.default_payment_method) ?? null);
}

async function customersSetupIntent(stripe: Stripe, customerId: string, setupIntentId: string) {
  const setupIntent = await stripe.setupIntents.retrieve(setupIntentId);
  if (idOf(setupIntent.customer) !== customerId) {
    throw new PermanentError("That card confirmation belongs to another account.");
  }
  return setupIntent;
}

/** The card on file as the payment forms show it, or null when there is none. */
export async function savedCardSummary(
  stripe: Stripe,
  customerId: string,
): Promise<{ brand: string; last4: string } | null> {
  const paymentMethodId = await savedCardOf(stripe, customerId);
  if (!paymentMethodId) return null;
  const { card } = await stripe.paymentMethods.retrieve(paymentMethodId);
  return card ? { brand: card.display_brand ?? card.brand, last4: card.last4 } : null;
}
