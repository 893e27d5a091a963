import { eventType } from "inngest";
import { z } from "zod";

/**
 * Every event onramp sends or reacts to, in one place. Clerk and Stripe payloads are forwarded
 * exactly as the vendor sent them, so the schemas name only the fields we read and keep the rest
 * (loose objects); fields Clerk may omit (a social sign-in has no metadata yet) are optional.
 */

const metadata = z.record(z.string(), z.unknown()).nullish();

export const clerkUser = z.looseObject({
  id: z.string(),
  email_addresses: z.array(z.looseObject({ id: z.string(), email_address: z.string() })).optional(),
  primary_email_address_id: z.string().nullish(),
  first_name: z.string().nullish(),
  last_name: z.string().nullish(),
  public_metadata: metadata,
  unsafe_metadata: metadata,
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
});
export type ClerkUser = z.infer<typeof clerkUser>;

export const clerkDeletedObject = z.looseObject({
  id: z.string().optional(),
  deleted: z.boolean().optional(),
});

export const clerkOrganization = z.looseObject({
  id: z.string(),
  name: z.string(),
  slug: z.string().nullish(),
  public_metadata: metadata,
  created_by: z.string().nullish(),
  created_at: z.number().optional(),
  updated_at: z.number().optional(),
});
export type ClerkOrganization = z.infer<typeof clerkOrganization>;

export const clerkOrganizationMembership = z.looseObject({
  id: z.string(),
  role: z.string(),
  public_metadata: metadata,
  organization: z.looseObject({ id: z.string() }),
  public_user_data: z.looseObject({ user_id: z.string() }),
  updated_at: z.number().optional(),
});

/** A Stripe subscription as the event carried it; handlers re-fetch it by id before acting. */
export const stripeSubscription = z.looseObject({
  id: z.string(),
  object: z.literal("subscription"),
  customer: z.union([z.string(), z.looseObject({ id: z.string() })]),
});

export const userCreated = eventType("clerk/user.created", { schema: clerkUser });
export const userUpdated = eventType("clerk/user.updated", { schema: clerkUser });
export const userDeleted = eventType("clerk/user.deleted", { schema: clerkDeletedObject });
export const organizationCreated = eventType("clerk/organization.created", {
  schema: clerkOrganization,
});
export const organizationDeleted = eventType("clerk/organization.deleted", {
  schema: clerkDeletedObject.extend({ id: z.string() }),
});
export const organizationMembershipCreated = eventType("clerk/organizationMembership.created", {
  schema: clerkOrganizationMembership,
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

/** Sent by the onboarding page when a user without payment details picks a plan and a card. */
export const onboardingSubmitted = eventType("app/onboarding.submitted", {
  schema: z.object({
    userId: z.string(),
    tier: z.string(),
    confirmationToken: z.string(),
  }),
});

/**
 * Sent once the browser has finished (or given up on) the 3-D Secure step of a SetupIntent; the
 * provisioning run then re-fetches the SetupIntent from Stripe rather than trusting the event.
 */
export const onboardingPaymentConfirmed = eventType("app/onboarding.payment_confirmed", {
  schema: z.object({
    userId: z.string(),
    setupIntentId: z.string().optional(),
  }),
});
