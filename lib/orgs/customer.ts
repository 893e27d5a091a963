import type Stripe from "stripe";
import { ownerMetadata } from "@/lib/billing/ownership";
import { AccountDeletedError } from "@/lib/errors";
import { classifyClerkError, clerk } from "@/lib/vendors/clerk";
import { classifyStripeError } from "@/lib/vendors/stripe";
import { ensureOrgNotDeleted, findOrgStripeCustomerId, upsertOrg } from "./orgs";

export interface OrgIdentity {
  id: string;
  name: string;
  /** Clerk's `updated_at` for this version of the organization. */
  clerkUpdatedAt: Date | null;
}

export const orgCustomerIdempotencyKey = (orgId: string) => `org-customer-${orgId}`;

/**
 * The org's Stripe customer: the one its row records, else one created under the per-org
 * idempotency key and saved to the row, where the first customer recorded stays. The
 * organization.created workflow and the licensing page (when the webhook has not landed yet) both
 * come here, so Stripe answers both with one customer. A deleted org gets none.
 */
export async function ensureOrgCustomer(stripe: Stripe, org: OrgIdentity): Promise<string> {
  const existing = await findOrgStripeCustomerId(org.id);
  if (existing) return existing;
  await ensureOrgNotDeleted(org.id);
  let customerId: string;
  try {
    const customer = await stripe.customers.create(
      { name: org.name, metadata: ownerMetadata({ key: "clerk_org_id", id: org.id }) },
      { idempotencyKey: orgCustomerIdempotencyKey(org.id) },
    );
    customerId = customer.id;
  } catch (error) {
    // The other caller used the key with another name (the org was renamed in between): it is
    // saving its customer right now.
    if (classifyStripeError(error)?.kind === "permanent") {
      const recorded = await findOrgStripeCustomerId(org.id);
      if (recorded) return recorded;
    }
    throw error;
  }
  const row = await upsertOrg({
    clerkOrgId: org.id,
    name: org.name,
    stripeCustomerId: customerId,
    clerkUpdatedAt: org.clerkUpdatedAt,
  });
  return row.stripeCustomerId ?? customerId;
}

/**
 * The org's Stripe customer id in its Clerk publicMetadata, for the org's own pages and tools. A
 * deleted org gets no write.
 */
export async function recordCustomerInClerk(orgId: string, stripeCustomerId: string) {
  await ensureOrgNotDeleted(orgId);
  try {
    await clerk.organizations.updateOrganizationMetadata(orgId, {
      publicMetadata: { stripeCustomerId },
    });
  } catch (error) {
    const failure = classifyClerkError(error);
    if (failure?.kind === "permanent" && failure.code === "not_found") {
      throw new AccountDeletedError(orgId, { cause: error });
    }
    throw error;
  }
}
