import { inngest } from "@/inngest/client";
import { subscriptionTrialWillEnd } from "@/inngest/events";
import { trialEndingNotice } from "@/lib/billing/notices";
import { sendUserEmail } from "@/lib/email/send";
import { requiredBillingClient } from "@/lib/vendors/stripe";

/**
 * Three days before a trial ends Stripe sends customer.subscription.trial_will_end: the user is
 * told the date, what their card will be charged and where to manage billing. The subscription
 * is re-fetched first (a trial cancelled or converted since gets nothing), and the email goes once
 * per trial, never to a deleted or unsubscribed user.
 */
export const emailTrialEnding = inngest.createFunction(
  {
    id: "email-trial-ending",
    name: "Email the trial's end",
    triggers: [subscriptionTrialWillEnd],
    // One Stripe request and one email a run: within Resend's 2 a second.
    throttle: { limit: 1, period: "1s" },
    retries: 5,
  },
  async ({ event, step }) => {
    const stripe = requiredBillingClient();
    const notice = await step.run("look-up-trial", () => trialEndingNotice(stripe, event.data.id));
    if ("skipped" in notice) return { subscriptionId: event.data.id, skipped: notice.skipped };
    const sent = await step.run("send-trial-ending-email", () => sendUserEmail(notice.email));
    return { subscriptionId: event.data.id, userId: notice.email.userId, email: sent.outcome };
  },
);
