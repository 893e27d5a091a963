import { inngest } from "@/inngest/client";
import { invoicePaymentActionRequired } from "@/inngest/events";
import { paymentDueNotice } from "@/lib/billing/notices";
import { sendUserEmail } from "@/lib/email/send";
import { requiredBillingClient } from "@/lib/vendors/stripe";

/**
 * A renewal's payment waits for the customer's bank (invoice.payment_action_required, 3-D Secure
 * on an off-session charge): the user is asked to confirm it, on Stripe's page for the invoice
 * or from the dashboard. Once per invoice, never to a deleted or unsubscribed user.
 */
export const emailPaymentActionRequired = inngest.createFunction(
  {
    id: "email-payment-action-required",
    name: "Email a payment the bank must confirm",
    triggers: [invoicePaymentActionRequired],
    // Two Stripe requests and one email a run: within Resend's 2 a second.
    throttle: { limit: 1, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const stripe = requiredBillingClient();
    const invoiceId = event.data.id;
    const notice = await step.run("look-up-invoice", () =>
      paymentDueNotice(stripe, invoiceId, "payment_action_required"),
    );
    if ("skipped" in notice) return { invoiceId, skipped: notice.skipped };
    const sent = await step.run("send-payment-action-required-email", () =>
      sendUserEmail(notice.email),
    );
    return { invoiceId, userId: notice.email.userId, email: sent.outcome };
  },
);
