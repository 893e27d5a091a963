import { inngest } from "@/inngest/client";
import { invoicePaid, invoicePaymentFailed } from "@/inngest/events";
import { paymentDueNotice } from "@/lib/billing/notices";
import { sendUserEmail, wasSent } from "@/lib/email/send";
import { env } from "@/lib/env";
import { requiredBillingClient } from "@/lib/vendors/stripe";

/**
 * A renewal's payment failed (invoice.payment_failed): the user is told, with Stripe's page to pay
 * the invoice and when the card is tried next; then, on Inngest's clock (a sleep that survives
 * restarts and deploys), PAYMENT_REMINDER_AFTER later a second reminder if it is still unpaid and
 * the subscription still past due. The invoice being paid meanwhile ends the wait. Smart Retries
 * send this event at every failed attempt: the first starts the story, the later ones find it
 * told. Each email goes once per invoice, never to a deleted or unsubscribed user.
 */
export const emailPaymentFailed = inngest.createFunction(
  {
    id: "email-payment-failed",
    name: "Email a failed payment",
    triggers: [invoicePaymentFailed],
    // One run per invoice at a time, so two attempts' events never both start the story.
    concurrency: { key: "event.data.id", limit: 1 },
    // Two Stripe requests and one email a run, twice: within Resend's 2 a second.
    throttle: { limit: 1, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const stripe = requiredBillingClient();
    const invoiceId = event.data.id;
    const notice = await step.run("look-up-invoice", async () => {
      const told = await paymentDueNotice(stripe, invoiceId, "payment_failed");
      if ("email" in told && (await wasSent(told.email.userId, ["payment_failed"], invoiceId))) {
        return { skipped: "the user was told at the first failed attempt" };
      }
      return told;
    });
    if ("skipped" in notice) return { invoiceId, skipped: notice.skipped };
    const sent = await step.run("send-payment-failed-email", () => sendUserEmail(notice.email));

    const paid = await step.waitForEvent("wait-for-payment", {
      event: invoicePaid,
      timeout: env.PAYMENT_REMINDER_AFTER,
      if: "async.data.id == event.data.id",
    });
    if (paid) return { invoiceId, email: sent.outcome, reminder: "skipped: paid" };

    const reminder = await step.run("look-up-invoice-again", () =>
      paymentDueNotice(stripe, invoiceId, "payment_reminder"),
    );
    if ("skipped" in reminder) {
      return { invoiceId, email: sent.outcome, reminder: `skipped: ${reminder.skipped}` };
    }
    const reminded = await step.run("send-payment-reminder-email", () =>
      sendUserEmail(reminder.email),
    );
    return { invoiceId, email: sent.outcome, reminder: reminded.outcome };
  },
);
