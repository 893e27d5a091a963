import { requireStripe } from "@/lib/vendors/stripe";

/** A Stripe Customer Portal session for the customer; its URL is good for a few minutes. */
export async function billingPortalUrl(customerId: string, returnUrl: string): Promise<string> {
  const session = await requireStripe().billingPortal.sessions.create({
    customer: customerId,
    return_url: returnUrl,
  });
  return session.url;
}
