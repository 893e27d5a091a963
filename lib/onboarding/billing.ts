import { and, eq, isNull, sql } from "drizzle-orm";
import { NonRetriableError } from "inngest";
import Stripe from "stripe";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { paths } from "@/lib/onboarding/gate";

/**
 * The Stripe side of provisioning. Each call carries an idempotency key derived from the user and
 * the step, with parameters fixed by the step's inputs, so a retried step replays Stripe's first
 * answer instead of creating a second object. Stripe's own network retries are off (lib/stripe):
 * the Inngest step is the retry loop.
 */

/** What confirming a SetupIntent came to: a saved card, a 3-D Secure challenge, or a refusal. */
export type SetupOutcome =
  | { status: "succeeded"; setupIntentId: string; paymentMethodId: string }
  | { status: "requires_action"; setupIntentId: string; clientSecret: string }
  | { status: "failed"; reason: string };

export const idempotencyKeys = {
  customer: (userId: string) => `onboarding:${userId}:customer`,
  /** Per token: a new card is a new request, a retry of the same card the same one. */
  setupIntent: (userId: string, confirmationToken: string) =>
    `onboarding:${userId}:setup-intent:${confirmationToken}`,
  subscription: (userId: string) => `onboarding:${userId}:subscription`,
};

/**
 * The user's Stripe customer: the one their row already names, else one created under the
 * per-user key and linked to the row, so Stripe's subscription events find the user.
 */
export async function findOrCreateCustomer(
  stripe: Stripe,
  user: { id: string; email: string | null; name: string | null },
): Promise<string> {
  const db = await getDb();
  const [row] = await db
    .select({ stripeCustomerId: users.stripeCustomerId })
    .from(users)
    .where(eq(users.clerkUserId, user.id));
  if (row?.stripeCustomerId) return row.stripeCustomerId;

  const customer = await stripeCall(() =>
    stripe.customers.create(
      {
        ...(user.email ? { email: user.email } : {}),
        ...(user.name ? { name: user.name } : {}),
        metadata: { clerk_user_id: user.id },
      },
      { idempotencyKey: idempotencyKeys.customer(user.id) },
    ),
  );
  await db
    .insert(users)
    .values({ clerkUserId: user.id, stripeCustomerId: customer.id })
    .onConflictDoUpdate({
      target: users.clerkUserId,
      set: { stripeCustomerId: customer.id, updatedAt: sql`now()` },
      setWhere: and(isNull(users.stripeCustomerId), isNull(users.deletedAt)),
    });
  return customer.id;
}

/**
 * Saves the card behind a ConfirmationToken for off-session use: a SetupIntent created and
 * confirmed in one call. A declined card or an expired token is an outcome the user can act on,
 * not an error; Stripe being unavailable is an error, so the step retries.
 */
export async function confirmSetupIntent(
  stripe: Stripe,
  input: { userId: string; customerId: string; confirmationToken: string },
): Promise<SetupOutcome> {
  try {
    const setupIntent = await stripeCall(
      () =>
        stripe.setupIntents.create(
          {
            customer: input.customerId,
            confirmation_token: input.confirmationToken,
            confirm: true,
            usage: "off_session",
            // Where a redirect-based authentication brings the browser back.
            return_url: new URL(paths.afterSignUp, env.APP_URL).href,
            metadata: { clerk_user_id: input.userId },
          },
          { idempotencyKey: idempotencyKeys.setupIntent(input.userId, input.confirmationToken) },
        ),
      { userFacing: true },
    );
    return outcomeOf(setupIntent);
  } catch (error) {
    if (error instanceof UserFacingStripeError) return { status: "failed", reason: error.message };
    throw error;
  }
}

/** The SetupIntent as Stripe has it now: 3-D Secure may be finished, abandoned or still going. */
export async function setupIntentOutcome(stripe: Stripe, setupIntentId: string) {
  return outcomeOf(await stripeCall(() => stripe.setupIntents.retrieve(setupIntentId)));
}

/** The outcome once the wait for 3-D Secure is over: still unconfirmed means it failed. */
export function settledSetupOutcome(outcome: SetupOutcome): SetupOutcome {
  return outcome.status === "requires_action"
    ? { status: "failed", reason: "Your bank did not confirm the card." }
    : outcome;
}

export async function createTrialSubscription(
  stripe: Stripe,
  input: { userId: string; customerId: string; priceId: string; paymentMethodId: string },
) {
  const days = env.TRIAL_DAYS;
  const subscription = await stripeCall(() =>
    stripe.subscriptions.create(
      {
        customer: input.customerId,
        items: [{ price: input.priceId }],
        default_payment_method: input.paymentMethodId,
        // Stripe refuses a zero-day trial; TRIAL_DAYS=0 means none.
        ...(days > 0 ? { trial_period_days: days } : {}),
        metadata: { clerk_user_id: input.userId },
      },
      { idempotencyKey: idempotencyKeys.subscription(input.userId) },
    ),
  );
  return { id: subscription.id, status: subscription.status };
}

function outcomeOf(setupIntent: Stripe.SetupIntent): SetupOutcome {
  const paymentMethod = setupIntent.payment_method;
  if (setupIntent.status === "succeeded" && paymentMethod) {
    return {
      status: "succeeded",
      setupIntentId: setupIntent.id,
      paymentMethodId: typeof paymentMethod === "string" ? paymentMethod : paymentMethod.id,
    };
  }
  if (setupIntent.status === "requires_action" && setupIntent.client_secret) {
    return {
      status: "requires_action",
      setupIntentId: setupIntent.id,
      clientSecret: setupIntent.client_secret,
    };
  }
  return {
    status: "failed",
    reason: setupIntent.last_setup_error?.message ?? "Your card could not be saved.",
  };
}

/** A refusal the user can fix with another card. */
class UserFacingStripeError extends Error {}

/**
 * Runs one Stripe request and sorts its failure: card refusals (and, for the card step, a token
 * Stripe no longer accepts) become UserFacingStripeError; requests Stripe will refuse however
 * often they are sent become NonRetriableError; everything else (5xx, 429, network) is rethrown
 * so the step retries with the same idempotency key.
 */
async function stripeCall<T>(request: () => Promise<T>, options: { userFacing?: boolean } = {}) {
  try {
    return await request();
  } catch (error) {
    // 409: the same idempotency key is still being processed; the retry gets the answer.
    if (error instanceof Stripe.errors.StripeError && error.statusCode === 409) throw error;
    if (options.userFacing && error instanceof Stripe.errors.StripeCardError) {
      throw new UserFacingStripeError(error.message);
    }
    if (
      options.userFacing &&
      error instanceof Stripe.errors.StripeInvalidRequestError &&
      (error.code === "resource_missing" || error.param === "confirmation_token")
    ) {
      throw new UserFacingStripeError("Your card details expired. Please enter them again.");
    }
    if (
      error instanceof Stripe.errors.StripeInvalidRequestError ||
      error instanceof Stripe.errors.StripeIdempotencyError ||
      error instanceof Stripe.errors.StripeAuthenticationError ||
      error instanceof Stripe.errors.StripePermissionError ||
      error instanceof Stripe.errors.StripeCardError
    ) {
      throw new NonRetriableError(`Stripe refused the request: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
