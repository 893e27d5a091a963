import { inngest } from "@/inngest/client";
import { organizationCreated } from "@/inngest/events";
import { ensureOrgCustomer, recordCustomerInClerk } from "@/lib/orgs/customer";
import { isOrgDeleted, upsertOrg } from "@/lib/orgs/orgs";
import { billingClient } from "@/lib/vendors/stripe";

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
    const stripe = billingClient();
    const customerId = stripe
      ? await step.run("create-stripe-customer", () =>
          ensureOrgCustomer(stripe, { id: org.id, name: org.name, clerkUpdatedAt }),
        )
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

    await step.run("save-customer-id-in-clerk", () =>
      recordCustomerInClerk(org.id, stripeCustomerId),
    );

    return { orgId: org.id, stripeCustomerId };
  },
);
