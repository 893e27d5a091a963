import type Stripe from "stripe";
import { plans, tierOfPrice } from "@/lib/billing/plans";
import type { UserEmail } from "@/lib/email/send";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import { recipientOfCustomer } from "@/lib/users";
import { idOf } from "@/lib/vendors/stripe";

/**
 * What the user is told about their subscription as its life goes on, built from Stripe's objects
 * re-fetched when the email is decided (an event only names them): the trial's reminder, a payment
 * that failed, a reminder while it stays unpaid, a bank's check to pass, a late payment received.
 * Each answer is the email, or why none goes. Amounts and dates are written out here, once, so the
 * email is the same on every retry of its send.
 */

/** An email to send, or why none goes. */
export type Notice = { email: UserEmail } | { skipped: string };

const noRecipient = {
  skipped:
    "no user with an email address has this customer (an organization's, or a deleted user's)",
};

export const money = (cents: number, currency: string) =>
  new Intl.NumberFormat("en-US", { style: "currency", currency: currency.toUpperCase() }).format(
    cents / 100,
  );

const day = (seconds: number) =>
  new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).format(
    new Date(seconds * 1000),
  );

/** Three days before a trial ends (Stripe's trial_will_end): the date, the amount, the plan. */
export async function trialEndingNotice(stripe: Stripe, subscriptionId: string): Promise<Notice> {
  const subscription = await stripe.subscriptions.retrieve(subscriptionId);
  if (subscription.status !== "trialing" || !subscription.trial_end) {
    return { skipped: `the subscription is ${subscription.status}, no longer trialing` };
  }
  const recipient = await recipientOfCustomer(idOf(subscription.customer));
  if (!recipient) return noRecipient;
  const [item] = subscription.items.data;
  const tier = item && tierOfPrice(item.price.id);
  const amount = (item?.price.unit_amount ?? 0) * (item?.quantity ?? 1);
  return {
    email: {
      kind: "trial_ending",
      ...recipient,
      // One reminder per trial: a trial extended to a new end is reminded again.
      reference: `${subscription.id}:${subscription.trial_end}`,
      plan: tier ? plans[tier].name : (item?.price.nickname ?? "current"),
      trialEndsOn: day(subscription.trial_end),
      amount: money(amount, item?.price.currency ?? subscription.currency),
    },
  };
}

/**
 * An invoice of a running subscription that is still unpaid: refused (payment_failed), still
 * unpaid some days later (payment_reminder), or waiting for the customer's bank
 * (payment_action_required). Stripe's hosted page for the invoice is where it is paid. The first
 * invoice of a subscription is paid during sign-up or resubscribing, on the page the user is on:
 * no email for it.
 */
export async function paymentDueNotice(
  stripe: Stripe,
  invoiceId: string,
  kind: "payment_failed" | "payment_reminder" | "payment_action_required",
): Promise<Notice> {
  const invoice = await stripe.invoices.retrieve(invoiceId);
  if (invoice.status !== "open") return { skipped: `the invoice is ${invoice.status}` };
  if (invoice.billing_reason === "subscription_create") {
    return { skipped: "a first invoice is paid where the user subscribes" };
  }
  const subscriptionId = invoice.parent?.subscription_details?.subscription;
  if (subscriptionId) {
    const { status } = await stripe.subscriptions.retrieve(idOf(subscriptionId));
    if (status !== "past_due") return { skipped: `the subscription is ${status}` };
  }
  const recipient = await recipientOfCustomer(idOf(invoice.customer ?? ""));
  if (!recipient) return noRecipient;
  return {
    email: {
      kind,
      ...recipient,
      reference: invoice.id,
      amount: money(invoice.amount_remaining, invoice.currency),
      // Stripe's page pays it; without one (never for a finalized invoice), the app's own.
      invoiceUrl: invoice.hosted_invoice_url ?? new URL(paths.payOverdue, env.APP_URL).href,
      nextAttemptOn: invoice.next_payment_attempt ? day(invoice.next_payment_attempt) : null,
    },
  };
}

/** A late payment came in: the invoice the user was told about is paid. */
export async function paymentReceivedNotice(stripe: Stripe, invoiceId: string): Promise<Notice> {
  const invoice = await stripe.invoices.retrieve(invoiceId);
  if (invoice.status !== "paid") return { skipped: `the invoice is ${invoice.status}` };
  const recipient = await recipientOfCustomer(idOf(invoice.customer ?? ""));
  if (!recipient) return noRecipient;
  return {
    email: {
      kind: "payment_received",
      ...recipient,
      reference: invoice.id,
      amount: money(invoice.amount_paid, invoice.currency),
    },
  };
}
