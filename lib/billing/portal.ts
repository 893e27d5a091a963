import type Stripe from "stripe";

/** A Stripe Customer Portal session for the customer; its URL is good for a few minutes. */
export async function billingPortalUrl(
  stripe: Stripe,
  customerId: string,
  returnUrl: string,
): Promise<string> {
  const session = await stripe.billingPortal.sessions.create({
    customer: customerId,
    return_url: returnUrl,
  });
  return session.url;
}
