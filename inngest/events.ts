import { eventType } from "inngest";
import { z } from "zod";
import {
  clerkDeletedObject,
  clerkOrganization,
  clerkOrganizationMembership,
  clerkUser,
  stripeInvoice,
  stripeSubscription,
} from "@/lib/webhooks/payloads";

/**
 * Every event onramp sends or reacts to, in one place. Clerk and Stripe payloads are forwarded
 * exactly as the vendor sent them (their schemas are in lib/webhooks/payloads).
 */

export const userCreated = eventType("clerk/user.created", { schema: clerkUser });
export const userUpdated = eventType("clerk/user.updated", { schema: clerkUser });
export const userDeleted = eventType("clerk/user.deleted", { schema: clerkDeletedObject });
export const organizationCreated = eventType("clerk/organization.created", {
  schema: clerkOrganization,
});
export const organizationDeleted = eventType("clerk/organization.deleted", {
  schema: clerkDeletedObject.extend({ id: z.string() }),
});
export const organizationMembershipDeleted = eventType("clerk/organizationMembership.deleted", {
  schema: clerkOrganizationMembership,
});

export const subscriptionCreated = eventType("stripe/customer.subscription.created", {
  schema: stripeSubscription,
});
export const subscriptionUpdated = eventType("stripe/customer.subscription.updated", {
  schema: stripeSubscription,
});
export const subscriptionDeleted = eventType("stripe/customer.subscription.deleted", {
  schema: stripeSubscription,
});
/** Three days before a trial ends (or when it is ended at once). */
export const subscriptionTrialWillEnd = eventType("stripe/customer.subscription.trial_will_end", {
  schema: stripeSubscription,
});
export const invoicePaid = eventType("stripe/invoice.paid", { schema: stripeInvoice });
/** A charge of the invoice was refused (each of Smart Retries' attempts sends one). */
export const invoicePaymentFailed = eventType("stripe/invoice.payment_failed", {
  schema: stripeInvoice,
});
/** A charge of the invoice waits for the customer to pass their bank's check (3-D Secure). */
export const invoicePaymentActionRequired = eventType("stripe/invoice.payment_action_required", {
  schema: stripeInvoice,
});

/** Sent by the onboarding page when a user without payment details picks a plan and a card. */
export const onboardingSubmitted = eventType("app/onboarding.submitted", {
  schema: z.object({
    userId: z.string(),
    tier: z.string(),
    confirmationToken: z.string(),
  }),
});

/**
 * Sent once the browser has finished (or given up on) a 3-D Secure step: saving the card (its
 * SetupIntent) or, without a trial, paying the first invoice (its PaymentIntent). The provisioning
 * run waiting on that intent then re-fetches it from Stripe rather than trusting the event.
 */
export const onboardingPaymentConfirmed = eventType("app/onboarding.payment_confirmed", {
  schema: z.union([
    z.object({ userId: z.string(), setupIntentId: z.string() }),
    z.object({ userId: z.string(), paymentIntentId: z.string() }),
  ]),
});
