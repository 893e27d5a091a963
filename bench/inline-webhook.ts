// The baseline for bench/inline-vs-durable.ts: a Clerk webhook handled inline, as most tutorials
// do it: verify, then call Stripe and Clerk one after another before answering. Not used by the
// app; it exists to be measured against.
import { createClerkClient } from "@clerk/backend";
import { verifyWebhook } from "@clerk/backend/webhooks";
import Stripe from "stripe";

const stripeBase = new URL(process.env.STRIPE_API_BASE!);
const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, {
  protocol: "http",
  host: stripeBase.hostname,
  port: stripeBase.port || 80,
});
const clerk = createClerkClient({
  secretKey: process.env.CLERK_SECRET_KEY,
  apiUrl: process.env.CLERK_API_URL,
});

interface SignUp {
  id: string;
  email_addresses: { email_address: string }[];
  unsafe_metadata: { tier: string; confirmationToken: string };
}

export async function handleSignUpInline(request: Request): Promise<Response> {
  let user: SignUp;
  try {
    const event = await verifyWebhook(request, {
      signingSecret: process.env.CLERK_WEBHOOK_SIGNING_SECRET,
    });
    user = event.data as unknown as SignUp;
  } catch {
    return new Response("bad signature", { status: 400 });
  }
  try {
    const customer = await stripe.customers.create({
      email: user.email_addresses[0]?.email_address,
      metadata: { clerk_user_id: user.id },
    });
    const setupIntent = await stripe.setupIntents.create({
      customer: customer.id,
      confirm: true,
      confirmation_token: user.unsafe_metadata.confirmationToken,
      usage: "off_session",
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: process.env.STRIPE_PRICE_PRO! }],
      trial_period_days: 14,
      default_payment_method: setupIntent.payment_method as string,
    });
    await clerk.users.updateUserMetadata(user.id, {
      publicMetadata: {
        onboardingComplete: true,
        stripeCustomerId: customer.id,
        stripeSubscriptionId: subscription.id,
      },
    });
    return new Response("ok");
  } catch {
    return new Response("failed", { status: 500 });
  }
}
