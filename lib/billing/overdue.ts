import type Stripe from "stripe";
import { cardToCharge, type CardChoice } from "@/lib/billing/card-choice";
import { money } from "@/lib/billing/notices";
import { applyChangeNow } from "@/lib/billing/subscription-sync";
import { PermanentError } from "@/lib/errors";
import type { BankOutcome } from "@/lib/onboarding/bank-outcome";
import { invoicePaymentOutcome, payInvoice } from "@/lib/onboarding/invoice-payment";
import {
  ensureUserNotDeleted,
  findUserStripeCustomerId,
  findUserSubscriptionId,
} from "@/lib/users";
import { requiredBillingClient, idOf } from "@/lib/vendors/stripe";

/**
 * Paying a past-due renewal from the app, the banner's one click: the open invoice of the user's
 * subscription, paid with a new card now (or confirmed with the bank when that is what it waits
 * for), and that card becomes the one renewals charge. Stripe's own page for the invoice does the
 * same; the emails link to it.
 */

export interface OverdueInvoice {
  invoiceId: string;
  amount: string;
  /** Stripe's hosted page for it. */
  invoiceUrl: string | null;
  /** Set when the charge waits for the customer's bank: the PaymentIntent's client secret. */
  awaitingBank: string | null;
}

/** The user's unpaid renewal, or null when nothing is overdue. */
export async function overdueInvoice(userId: string): Promise<OverdueInvoice | null> {
  const subscriptionId = await findUserSubscriptionId(userId);
  if (!subscriptionId) return null;
  const stripe = requiredBillingClient();
  const invoice = await openInvoiceOf(stripe, subscriptionId);
  if (!invoice) return null;
  const outcome = await invoicePaymentOutcome(stripe, invoice.id);
  return {
    invoiceId: invoice.id,
    amount: money(invoice.amount_remaining, invoice.currency),
    invoiceUrl: invoice.hosted_invoice_url ?? null,
    awaitingBank: outcome.status === "requires_action" ? outcome.clientSecret : null,
  };
}

/**
 * Pays the overdue invoice with the card chosen, or, once the browser has passed the bank's check
 * of the charge already made (`bankCheckDone`), reads how it ended.
 */
export async function payOverdue(
  userId: string,
  how: { card: CardChoice } | { bankCheckDone: true },
): Promise<BankOutcome> {
  await ensureUserNotDeleted(userId);
  const [customerId, subscriptionId] = await Promise.all([
    findUserStripeCustomerId(userId),
    findUserSubscriptionId(userId),
  ]);
  if (!customerId || !subscriptionId) throw new PermanentError("You have no plan to pay for.");
  const stripe = requiredBillingClient();
  const invoice = await openInvoiceOf(stripe, subscriptionId);
  if (!invoice) return { status: "succeeded" };
  const outcome = await (async () => {
    if ("bankCheckDone" in how) return invoicePaymentOutcome(stripe, invoice.id);
    const chosen = await cardToCharge(stripe, { userId, customerId, card: how.card });
    if ("status" in chosen) return chosen;
    const { paymentMethodId } = chosen;
    return payInvoice(stripe, { userId, invoiceId: invoice.id, paymentMethodId, lastTry: false });
  })();
  if (outcome.status === "succeeded") await applyChangeNow(stripe, subscriptionId);
  return outcome.status === "requires_action"
    ? { status: "requires_action", clientSecret: outcome.clientSecret }
    : outcome;
}

/** The subscription's latest invoice while it is open (a renewal not yet paid). */
async function openInvoiceOf(stripe: Stripe, subscriptionId: string) {
  const subscription = await stripe.subscriptions.retrieve(subscriptionId);
  const invoiceId = idOf(subscription.latest_invoice);
  if (!invoiceId) return null;
  const invoice = await stripe.invoices.retrieve(invoiceId);
  return invoice.status === "open" ? invoice : null;
}
