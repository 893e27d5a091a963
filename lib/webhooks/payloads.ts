import { z } from "zod";

/**
 * What Clerk's and Stripe's webhooks carry, as forwarded to Inngest untouched. The schemas name
 * only the fields we read and keep the rest (loose objects); fields Clerk may omit (a social
 * sign-in has no metadata yet) are optional.
 */

const metadata = z.record(z.string(), z.unknown()).nullish();

export const clerkUser = z.looseObject({
  id: z.string(),
  email_addresses: z
    .array(
      z.looseObject({
        id: z.string(),
        email_address: z.string(),
        verification: z.looseObject({ status: z.string() }).nullish(),
      }),
    )
    .optional(),
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

/** A Stripe invoice as the event carried it; handlers re-fetch it by id before acting. */
export const stripeInvoice = z.looseObject({
  id: z.string(),
  object: z.literal("invoice"),
  customer: z.union([z.string(), z.looseObject({ id: z.string() })]).nullish(),
});
