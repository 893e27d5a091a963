import type Stripe from "stripe";
import { ownerMetadata, type BillingOwner } from "@/lib/billing/ownership";

/**
 * Money taken for something the account never got (a sign-up that failed after its first charge,
 * a Checkout paid for an organization being deleted) goes back in full. Each payment is looked at
 * in Stripe first, and only what is not refunded yet is refunded, under a key per payment, so a
 * retry, a replay or a second caller refunds nothing twice.
 */

/** A payment given back: its PaymentIntent, and how much in which currency. */
export interface Refund {
  paymentIntentId: string;
  amount: number;
  currency: string;
}

/** Refunds that count against a payment: made, or still being made. */
const standingRefund = (refund: Stripe.Refund) =>
  refund.status === "succeeded" ||
  refund.status === "pending" ||
  refund.status === "requires_action";

/**
 * Refunds what the subscription's invoices collected, those paid since `since` (every one when
 * null). Returns the refunds made now; none when everything was refunded already.
 */
export async function refundPayments(
  stripe: Stripe,
  subscriptionId: string,
  owner: BillingOwner,
  since: Date | null,
): Promise<Refund[]> {
  const refunds: Refund[] = [];
  for await (const invoice of stripe.invoices.list({
    subscription: subscriptionId,
    status: "paid",
    limit: 100,
  })) {
    const paidAt = invoice.status_transitions.paid_at;
    if (invoice.amount_paid === 0 || !invoice.id) continue;
    // Stripe counts in whole seconds: a payment in the second of `since` counts as after it.
    if (since && (paidAt === null || paidAt < Math.floor(since.getTime() / 1000))) continue;
    for (const intent of await paidIntentsOf(stripe, invoice.id)) {
      const refund = await refundRest(stripe, intent, owner);
      if (refund) refunds.push(refund);
    }
  }
  return refunds;
}

/** The PaymentIntents that paid the invoice (since API 2025-03-31, through its payments). */
async function paidIntentsOf(stripe: Stripe, invoiceId: string): Promise<Stripe.PaymentIntent[]> {
  const payments = await stripe.invoicePayments.list({
    invoice: invoiceId,
    expand: ["data.payment.payment_intent"],
  });
  return payments.data.flatMap((payment) => {
    const intent = payment.payment.payment_intent;
    return payment.status === "paid" && intent && typeof intent !== "string" ? [intent] : [];
  });
}

/** Refunds what the PaymentIntent received and no refund has given back yet. */
async function refundRest(
  stripe: Stripe,
  intent: Stripe.PaymentIntent,
  owner: BillingOwner,
): Promise<Refund | null> {
  let refunded = 0;
  for await (const refund of stripe.refunds.list({ payment_intent: intent.id, limit: 100 })) {
    if (standingRefund(refund)) refunded += refund.amount;
  }
  if (refunded >= intent.amount_received) return null;
  // No amount: Stripe refunds what remains, so the parameters are the same on every retry.
  const refund = await stripe.refunds.create(
    { payment_intent: intent.id, metadata: ownerMetadata(owner) },
    { idempotencyKey: `refund:${intent.id}` },
  );
  return { paymentIntentId: intent.id, amount: refund.amount, currency: refund.currency };
}
