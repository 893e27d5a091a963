// The baseline for bench/inline-vs-durable.ts: a Clerk user.created webhook handled inline, the way
// most tutorials do it: verify, then make provisioning's four vendor calls one after another and
// answer only when they are done. Not used by the app; it exists to be measured against. It calls
// the same lib functions as the workflow's steps, so it sends the same requests with the same
// idempotency keys: a redelivery replays Stripe's answers instead of creating anything twice, and
// the comparison is about where the work runs, not about idempotency.
import { verifyWebhook } from "@clerk/backend/webhooks";
import { ensureUserCustomer } from "@/lib/billing/customers";
import { isTier, priceFor } from "@/lib/billing/plans";
import { env } from "@/lib/env";
import { completeClerkOnboarding } from "@/lib/onboarding/account";
import { fullName, primaryEmailAddress, submittedPayment } from "@/lib/onboarding/clerk-user";
import { saveCard, startTrialSubscription } from "@/lib/onboarding/provisioning";
import { billingClient } from "@/lib/vendors/stripe";
import type { ClerkUser } from "@/lib/webhooks/payloads";

export async function handleSignUpInline(request: Request): Promise<Response> {
  let user: ClerkUser;
  try {
    const event = await verifyWebhook(request, {
      signingSecret: env.CLERK_WEBHOOK_SIGNING_SECRET,
    });
    user = event.data as unknown as ClerkUser;
  } catch {
    return new Response("bad signature", { status: 400 });
  }
  const payment = submittedPayment(user);
  const tier = payment?.tier;
  const priceId = isTier(tier) ? priceFor(tier) : undefined;
  if (!payment || !isTier(tier) || !priceId)
    return new Response("no plan and card in the sign-up", { status: 422 });

  // The benchmark configures Stripe.
  const stripe = billingClient()!;
  try {
    const customerId = await ensureUserCustomer(
      stripe,
      { id: user.id, email: primaryEmailAddress(user), name: fullName(user) },
      { lookInStripe: false },
    );
    const card = await saveCard(stripe, {
      userId: user.id,
      customerId,
      confirmationToken: payment.confirmationToken,
      lookInStripe: false,
      lastTry: false,
    });
    // A refused card or a 3-D Secure challenge is the user's to act on; a redelivery cannot help.
    if (card.status !== "succeeded") return new Response(card.status, { status: 422 });
    const subscription = await startTrialSubscription(stripe, {
      userId: user.id,
      // No run here: every redelivery is the same attempt, so it replays the same key.
      runId: "inline",
      customerId,
      priceId,
      paymentMethodId: card.paymentMethodId,
      lookInStripe: false,
    });
    await completeClerkOnboarding(user.id, {
      onboardingComplete: true,
      tier,
      stripeCustomerId: customerId,
      stripeSubscriptionId: subscription.id,
    });
    return new Response("ok");
  } catch {
    // Svix redelivers anything but a 2xx: the whole handler runs again.
    return new Response("failed", { status: 500 });
  }
}
