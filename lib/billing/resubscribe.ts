import type Stripe from "stripe";
import { cardToCharge, type CardChoice } from "@/lib/billing/card-choice";
import { priceFor, type Tier } from "@/lib/billing/plans";
import { applyChangeNow } from "@/lib/billing/subscription-sync";
import { cancelSubscriptionNow, subscriptionsOf } from "@/lib/billing/subscriptions";
import { grantsAccess } from "@/lib/billing/entitlements";
import { PermanentError } from "@/lib/errors";
import type { BankOutcome } from "@/lib/onboarding/bank-outcome";
import { invoicePaymentOutcome, payInvoice } from "@/lib/onboarding/invoice-payment";
import { ensureUserNotDeleted, findUserStripeCustomerId } from "@/lib/users";
import { requiredBillingClient, idOf } from "@/lib/vendors/stripe";

/**
 * Coming back after a plan ended (cancelled, unpaid after Stripe's retries, or never paid): a new
 * subscription on the same Stripe customer, on the plan chosen, with a saved card or a new one,
 * charged now: no second free trial. A plan that already runs is the answer as it is. The first charge may need the customer's bank (3-D Secure):
 * the browser finishes it and calls again, and another card pays the same invoice; a subscription
 * still waiting for its first payment is reused, never doubled.
 *
 * Safe to repeat: the tombstone is checked first; Stripe is asked for the customer's
 * subscriptions before one is made (a lost answer or a double submit finds it); its key names the
 * subscription it follows, the plan and the card, so a repeat replays Stripe's first answer. A
 * deletion that comes after is closed by close-deleted-user, which cancels every live
 * subscription Stripe holds for the user.
 */
export async function resubscribe(
  userId: string,
  input: { tier: Tier; card: CardChoice },
): Promise<BankOutcome> {
  await ensureUserNotDeleted(userId);
  const customerId = await findUserStripeCustomerId(userId);
  const priceId = priceFor(input.tier);
  if (!customerId) throw new PermanentError("Your billing account is still being set up.");
  if (!priceId) throw new PermanentError(`The ${input.tier} plan is not available right now.`);
  const stripe = requiredBillingClient();

  const [newest] = await subscriptionsOf(stripe, customerId);
  if (newest && grantsAccess(newest.status)) {
    // Already subscribed: a repeat of a request that succeeded (a double submit, the browser's
    // call after the bank's check), or a plan that never ended. Nothing is charged.
    await applyChangeNow(stripe, newest.id);
    return { status: "succeeded" };
  }
  const card = await cardToCharge(stripe, { userId, customerId, card: input.card });
  if ("status" in card) return card;

  // A subscription made by an earlier try, still waiting for its first payment.
  let subscription = newest?.status === "incomplete" ? newest : undefined;
  if (subscription && subscription.items.data[0]?.price.id !== priceId) {
    // Another plan was chosen meanwhile: nothing was paid on that one.
    await cancelSubscriptionNow(
      stripe,
      subscription.id,
      "Replaced by another plan before its first payment",
    );
    subscription = undefined;
  }
  subscription ??= await subscribe(stripe, {
    userId,
    customerId,
    priceId,
    paymentMethodId: card.paymentMethodId,
    follows: newest?.id ?? "none",
  });
  const step = await firstPayment(stripe, userId, subscription, card.paymentMethodId);
  if (step.status === "succeeded") await applyChangeNow(stripe, subscription.id);
  return step;
}

async function subscribe(
  stripe: Stripe,
  input: {
    userId: string;
    customerId: string;
    priceId: string;
    paymentMethodId: string;
    follows: string;
  },
) {
  return stripe.subscriptions.create(
    {
      customer: input.customerId,
      items: [{ price: input.priceId }],
      default_payment_method: input.paymentMethodId,
      // A card that later pays an invoice becomes the one renewals charge.
      payment_settings: { save_default_payment_method: "on_subscription" },
      metadata: { clerk_user_id: input.userId },
    },
    {
      idempotencyKey: `resubscribe:${input.userId}:${input.follows}:${input.priceId}:${input.paymentMethodId}`,
    },
  );
}

/** The new subscription's first invoice: paid with the card when charging at once did not. */
async function firstPayment(
  stripe: Stripe,
  userId: string,
  subscription: Stripe.Subscription,
  paymentMethodId: string,
): Promise<BankOutcome> {
  if (subscription.status === "active") return { status: "succeeded" };
  const invoiceId = idOf(subscription.latest_invoice);
  if (!invoiceId) throw new Error(`Stripe shows no first invoice for ${subscription.id}`);
  const before = await invoicePaymentOutcome(stripe, invoiceId);
  const outcome =
    before.status === "succeeded"
      ? before
      : await payInvoice(stripe, { userId, invoiceId, paymentMethodId, lastTry: false });
  return outcome.status === "requires_action"
    ? { status: "requires_action", clientSecret: outcome.clientSecret }
    : outcome;
}
