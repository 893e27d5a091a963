import { inngest } from "@/inngest/client";
import { invoicePaid } from "@/inngest/events";
import { paymentReceivedNotice } from "@/lib/billing/notices";
import { sendUserEmail, wasSent } from "@/lib/email/send";
import { recipientOfCustomer } from "@/lib/users";
import { idOf } from "@/lib/vendors/stripe";
import { requiredBillingClient } from "@/lib/vendors/stripe";

/**
 * An invoice was paid (invoice.paid): when the user had been told it was overdue (a failed payment
 * or a bank's check), they are told it came in. Every other paid invoice (each trial's and each
 * renewal's) ends at the first step, on our own receipts, without asking Stripe.
 */
export const emailPaymentReceived = inngest.createFunction(
  {
    id: "email-payment-received",
    name: "Email a late payment received",
    triggers: [invoicePaid],
    // Most runs make no request at all; one that emails makes one Stripe request and one email.
    throttle: { limit: 2, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const stripe = requiredBillingClient();
    const invoiceId = event.data.id;
    const wasOverdue = await step.run("check-user-was-told-it-was-due", async () => {
      const customerId = idOf(event.data.customer);
      const user = customerId ? await recipientOfCustomer(customerId) : null;
      return (
        user !== null &&
        (await wasSent(user.userId, ["payment_failed", "payment_action_required"], invoiceId))
      );
    });
    if (!wasOverdue) return { invoiceId, skipped: "the user was never told it was due" };
    const notice = await step.run("look-up-invoice", () =>
      paymentReceivedNotice(stripe, invoiceId),
    );
    if ("skipped" in notice) return { invoiceId, skipped: notice.skipped };
    const sent = await step.run("send-payment-received-email", () => sendUserEmail(notice.email));
    return { invoiceId, userId: notice.email.userId, email: sent.outcome };
  },
);
