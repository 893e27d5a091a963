import { billingClient } from "@/lib/vendors/stripe";

/**
 * A seat Checkout for the org's customer, opened as the licensing page opens it
 * (lib/orgs/checkout): subscription mode, the seat price, `clerk_org_id` on the subscription it
 * will make. The Stripe stand-in's `payCheckout` then pays it.
 */
export function openSeatCheckout(
  orgId: string,
  customerId: string,
  quantity = 4,
  /** Stripe's clock now (Unix seconds), when a test moves it. */
  now = Math.floor(Date.now() / 1000),
) {
  return billingClient()!.checkout.sessions.create({
    mode: "subscription",
    customer: customerId,
    line_items: [{ price: process.env.STRIPE_PRICE_ENTERPRISE!, quantity }],
    subscription_data: { metadata: { clerk_org_id: orgId } },
    success_url: "http://localhost:3000/org/licensing?checkout=success",
    expires_at: now + 31 * 60,
  });
}
