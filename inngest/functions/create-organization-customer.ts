import { isClerkAPIResponseError } from "@clerk/backend/errors";
import { NonRetriableError } from "inngest";
import Stripe from "stripe";
import { inngest } from "@/inngest/client";
import { organizationCreated } from "@/inngest/events";
import { clerk } from "@/lib/clerk";
import {
  createOrgStripeCustomer,
  findOrgStripeCustomerId,
  isOrgDeleted,
  upsertOrg,
} from "@/lib/orgs";
import { stripe } from "@/lib/stripe";

/**
 * A new Clerk organization gets a Stripe customer (for per-seat licensing), its orgs row with
 * 0 seats, and the customer id in its Clerk publicMetadata, unless it is already deleted. Every
 * step is safe to repeat: the row is checked first, the Stripe idempotency key is per org, the
 * row is an upsert and the Clerk write a merge.
 */
export const createOrganizationCustomer = inngest.createFunction(
  {
    id: "create-organization-customer",
    name: "Create Stripe customer for new organization",
    triggers: [organizationCreated],
    // One run per organization however often Svix delivers it.
    idempotency: "event.data.id",
    // One Stripe and one Clerk call per run; Clerk's 100 requests per 10 s is the tighter limit.
    throttle: { limit: 100, period: "10s" },
  },
  async ({ event, step, logger }) => {
    const org = event.data;
    // Svix does not keep order: the deletion may have arrived first.
    if (await step.run("check-org-not-deleted", () => isOrgDeleted(org.id))) {
      logger.warn(`Organization ${org.id} was already deleted in Clerk; nothing to create`);
      return { orgId: org.id, skipped: "organization deleted" };
    }
    const clerkUpdatedAt = org.updated_at === undefined ? null : new Date(org.updated_at);

    // Without billing the org is tracked with no customer.
    const billing = stripe;
    const customerId = billing
      ? await step.run("create-stripe-customer", () => createCustomerOnce(billing, org))
      : null;

    const row = await step.run("save-org-row", () =>
      upsertOrg({
        clerkOrgId: org.id,
        name: org.name,
        stripeCustomerId: customerId,
        clerkUpdatedAt,
      }),
    );
    if (!row.stripeCustomerId) return { orgId: org.id, stripeCustomerId: null };
    const stripeCustomerId = row.stripeCustomerId;

    await step.run("save-customer-id-in-clerk", async () => {
      try {
        await clerk.organizations.updateOrganizationMetadata(org.id, {
          publicMetadata: { stripeCustomerId },
        });
      } catch (error) {
        if (isClerkAPIResponseError(error) && error.status === 404) {
          throw new NonRetriableError(`Organization ${org.id} no longer exists in Clerk`, {
            cause: error,
          });
        }
        throw error;
      }
    });

    return { orgId: org.id, stripeCustomerId };
  },
);

/** The org's customer: the one its row already records, else one created under a per-org key. */
async function createCustomerOnce(stripe: Stripe, org: { id: string; name: string }) {
  const existing = await findOrgStripeCustomerId(org.id);
  if (existing) return existing;
  try {
    return (await createOrgStripeCustomer(stripe, org)).id;
  } catch (error) {
    if (isPermanentStripeError(error)) {
      throw new NonRetriableError(`Stripe refused the customer: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}

/** Requests Stripe will refuse again however often they are retried. */
function isPermanentStripeError(error: unknown): error is Stripe.errors.StripeError {
  return (
    error instanceof Stripe.errors.StripeInvalidRequestError ||
    error instanceof Stripe.errors.StripeIdempotencyError ||
    error instanceof Stripe.errors.StripeAuthenticationError ||
    error instanceof Stripe.errors.StripePermissionError
  );
}
