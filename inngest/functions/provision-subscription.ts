import { NonRetriableError, type GetStepTools } from "inngest";
import type Stripe from "stripe";
import { inngest } from "@/inngest/client";
import {
  onboardingPaymentConfirmed,
  onboardingSubmitted,
  userCreated,
  userDeleted,
} from "@/inngest/events";
import { failureReasonForUser } from "@/inngest/middleware/workflow-errors";
import { runWithProgress, type ProgressPlan } from "@/inngest/progress";
import { ensureUserCustomer } from "@/lib/billing/customers";
import { isTier, priceFor, type Tier } from "@/lib/billing/plans";
import { completeClerkOnboarding } from "@/lib/onboarding/account";
import { fullName, primaryEmailAddress, submittedPayment } from "@/lib/onboarding/clerk-user";
import {
  claimOnboarding,
  markRunFailed,
  recordAwaitingPaymentDetails,
  recordCardAttempt,
  recordCardOutcome,
  recordFailure,
  recordOnboardingComplete,
  recordSteps,
  type ProgressStepId,
} from "@/lib/onboarding/progress";
import {
  saveCard,
  settledSetupOutcome,
  setupIntentOutcome,
  startTrialSubscription,
  type SetupOutcome,
} from "@/lib/onboarding/provisioning";
import {
  cardConfirmationStored,
  untriedPaymentDetails,
  type PaymentDetails,
} from "@/lib/onboarding/submissions";
import { ensureUserNotDeleted } from "@/lib/users";
import { stripe } from "@/lib/vendors/stripe";
import type { ClerkUser } from "@/lib/webhooks/payloads";

/**
 * How long a user without a card has to submit one (the onboarding page sends it): a first
 * minute, after which the run looks at what was stored (a submission sent before the wait began
 * is never delivered to it), then the rest of the week.
 */
export const SUBMISSION_TIMEOUTS = { first: "1m", rest: "7d" } as const;
/**
 * How long the run waits for the browser's word that 3-D Secure is done before asking Stripe,
 * first, and then, while Stripe still waits for the bank, for the rest of the hour the user has.
 */
export const CONFIRMATION_TIMEOUTS = { first: "1m", rest: "59m" } as const;
/** Cards a user may try before the onboarding fails for good. */
export const MAX_CARD_ATTEMPTS = 5;

/** What each step shows on the user's progress page (inngest/progress). */
const progress: ProgressPlan = {
  "create-stripe-customer": { step: "customer", settles: ["plan"] },
  "confirm-setup-intent": {
    step: "payment-method",
    begin: recordCardAttempt,
    record: recordCardOutcome,
  },
  "check-setup-intent": { step: "payment-method", record: recordCardOutcome },
  "create-trial-subscription": { step: "subscription" },
  "update-clerk-metadata": { step: "account", record: recordOnboardingComplete },
};

type Steps = GetStepTools<typeof inngest>;

/**
 * Turns a new Clerk user into a trialing Stripe customer: collect a card (from the sign-up form,
 * else waited for), confirm it, subscribe, tell Clerk. Each vendor call is its own step with its
 * own idempotency key, and none is made for a user deleted in Clerk.
 */
export const provisionSubscription = inngest.createFunction(
  {
    id: "provision-subscription",
    name: "Provision trial subscription",
    triggers: [userCreated],
    // One run per user however often Svix delivers user.created, and never two at once.
    idempotency: "event.data.id",
    concurrency: { key: "event.data.id", limit: 1 },
    // Each run starts 3 Stripe requests and 1 Clerk request: 8 runs a second stays within Stripe's
    // 25 requests per second and Clerk's 100 per 10 seconds.
    throttle: { limit: 8, period: "1s" },
    cancelOn: [{ event: userDeleted, match: "data.id" }],
    retries: 5,
    onFailure: async ({ event, error, logger }) => {
      const runId = event.data.run_id;
      // The detail (a vendor's or the database's own words) is for the operator, by run id.
      logger.error("provisioning failed", { failedRunId: runId, error });
      const reason = failureReasonForUser(
        error,
        "Setting up your account failed after several attempts. Please contact support; the reference on this page helps us find what happened.",
      );
      await markRunFailed(event.data.event.data.id, runId, reason);
    },
  },
  async ({ event, step: steps, runId }) => {
    const user = event.data;
    const userId = user.id;
    const step = { ...steps, run: runWithProgress(steps, userId, progress) };

    const claim = await step.run("claim-onboarding", () => claimOnboarding(userId, runId));
    if (!claim) return { userId, outcome: "skipped: another run provisions this user" };
    // Only a rerun can find a customer or a subscription an earlier run made in Stripe.
    const rerun = claim === "rerun";
    // Svix keeps no order: the user's deletion may have been processed first.
    await step.run("check-user-not-deleted", () => ensureUserNotDeleted(userId));

    if (!stripe) return onboardWithoutBilling(step, user);
    const billing = stripe;

    const card = await collectCard(step, billing, user, rerun);
    const subscription = await step.run("create-trial-subscription", () =>
      startTrialSubscription(billing, { userId, ...card, rerun }),
    );
    await step.run("update-clerk-metadata", () =>
      completeClerkOnboarding(userId, {
        onboardingComplete: true,
        tier: card.tier,
        stripeCustomerId: card.customerId,
        stripeSubscriptionId: subscription.id,
      }),
    );
    return {
      userId,
      outcome: "complete",
      tier: card.tier,
      customerId: card.customerId,
      subscriptionId: subscription.id,
    };
  },
);

async function onboardWithoutBilling(step: Steps, user: ClerkUser) {
  const userId = user.id;
  const payment = submittedPayment(user);
  const tier = payment && isTier(payment.tier) ? payment.tier : undefined;
  await step.run("skip-billing", () =>
    recordSteps(
      userId,
      ["plan", "customer", "payment-method", "subscription"],
      "skipped",
      "Billing is not configured",
    ),
  );
  await step.run("update-clerk-metadata", () =>
    completeClerkOnboarding(userId, { onboardingComplete: true, tier }),
  );
  return { userId, outcome: "complete", billing: "skipped" };
}

interface SavedCard {
  tier: Tier;
  priceId: string;
  customerId: string;
  paymentMethodId: string;
}

/**
 * Until a card is saved: take the plan and card (from sign-up, else waited for), check the plan,
 * confirm the card, and after a refusal wait for the next one, all in this run. The customer is
 * created once a valid plan is chosen, so a refused plan leaves nothing behind in Stripe.
 */
async function collectCard(
  step: Steps,
  stripe: Stripe,
  user: ClerkUser,
  rerun: boolean,
): Promise<SavedCard> {
  const userId = user.id;
  const tried: string[] = [];
  let customerId: string | undefined;
  for (let attempt = 1; attempt <= MAX_CARD_ATTEMPTS; attempt++) {
    const submission =
      (attempt === 1 ? submittedPayment(user) : null) ??
      (await awaitPaymentDetails(step, userId, attempt, tried));
    const plan = planFor(submission.tier);
    if ("reason" in plan) throw await failOnboarding(step, userId, "plan", plan.reason);

    customerId ??= await step.run("create-stripe-customer", () =>
      ensureUserCustomer(
        stripe,
        { id: userId, email: primaryEmailAddress(user), name: fullName(user) },
        { rerun },
      ),
    );
    tried.push(submission.confirmationToken);
    const outcome = await confirmCard(step, stripe, {
      userId,
      customerId,
      confirmationToken: submission.confirmationToken,
      attempt,
    });
    if (outcome.status === "succeeded") {
      return { ...plan, customerId, paymentMethodId: outcome.paymentMethodId };
    }
  }
  throw await failOnboarding(
    step,
    userId,
    "payment-method",
    `No card could be saved after ${MAX_CARD_ATTEMPTS} attempts.`,
  );
}

const numbered = (id: string, attempt: number) => (attempt === 1 ? id : `${id}-${attempt}`);

/**
 * The next plan and card from the onboarding or progress page. The page stores a submission
 * before sending its event, and the event reaches only a wait that has begun, so the store is
 * read before waiting and after each timeout.
 */
async function awaitPaymentDetails(
  step: Steps,
  userId: string,
  attempt: number,
  tried: string[],
): Promise<PaymentDetails> {
  const id = (name: string) => numbered(name, attempt);
  if (attempt === 1) {
    await step.run("await-payment-details", () => recordAwaitingPaymentDetails(userId));
  }
  const stored = (name: string) => step.run(id(name), () => untriedPaymentDetails(userId, tried));
  const wait = (name: string, timeout: string) =>
    step.waitForEvent(id(name), {
      event: onboardingSubmitted,
      timeout,
      if: "async.data.userId == event.data.id",
    });
  const submitted =
    (await stored("look-for-payment-details")) ??
    (await wait("wait-for-payment-details", SUBMISSION_TIMEOUTS.first))?.data ??
    (await stored("look-for-payment-details-again")) ??
    (await wait("wait-for-payment-details-late", SUBMISSION_TIMEOUTS.rest))?.data ??
    (await stored("look-for-payment-details-last"));
  if (!submitted) {
    throw await failOnboarding(
      step,
      userId,
      "plan",
      "No plan and card were submitted within 7 days.",
    );
  }
  return submitted;
}

/**
 * Saves the card. When the bank asks for 3-D Secure, the browser finishes it with the client
 * secret and says so, naming the SetupIntent; that word is only a hint (it may never come, or
 * come before the wait began), so without it Stripe is asked after a minute, and the run waits
 * out the hour only while Stripe still waits for the bank.
 */
async function confirmCard(
  step: Steps,
  stripe: Stripe,
  input: { userId: string; customerId: string; confirmationToken: string; attempt: number },
): Promise<SetupOutcome> {
  const { userId, attempt } = input;
  const id = (name: string) => numbered(name, attempt);
  const outcome = await step.run(id("confirm-setup-intent"), () => saveCard(stripe, input));
  if (outcome.status !== "requires_action") return outcome;

  const { setupIntentId } = outcome;
  const waitForConfirmation = (name: string, timeout: string) =>
    step.waitForEvent(id(name), {
      event: onboardingPaymentConfirmed,
      timeout,
      // SetupIntent ids are [A-Za-z0-9_] (Stripe's format), so quoting them is safe.
      if: `async.data.userId == event.data.id && async.data.setupIntentId == '${setupIntentId}'`,
    });
  const confirmed =
    (await step.run(id("look-for-card-confirmation"), () =>
      cardConfirmationStored(userId, setupIntentId),
    )) || (await waitForConfirmation("wait-for-card-confirmation", CONFIRMATION_TIMEOUTS.first));
  const looked = confirmed
    ? null
    : await step.run(id("look-at-setup-intent"), () => setupIntentOutcome(stripe, setupIntentId));
  const bankStillDeciding = looked?.status === "requires_action";
  if (bankStillDeciding) {
    await waitForConfirmation("wait-for-card-confirmation-late", CONFIRMATION_TIMEOUTS.rest);
  }
  return step.run(id("check-setup-intent"), async () =>
    settledSetupOutcome(
      looked && !bankStillDeciding ? looked : await setupIntentOutcome(stripe, setupIntentId),
    ),
  );
}

/** The price behind a tier the browser named, or why there is none. Never a price from the browser. */
function planFor(tier: string): { tier: Tier; priceId: string } | { reason: string } {
  if (!isTier(tier)) return { reason: `"${tier}" is not a plan we offer.` };
  const priceId = priceFor(tier);
  if (!priceId) return { reason: `The ${tier} plan is not available right now.` };
  return { tier, priceId };
}

/**
 * Ends the onboarding for good: the failure is recorded for the user (a step of its own, so it is
 * written once), and the returned error, thrown by the caller, stops the run without retries.
 */
async function failOnboarding(step: Steps, userId: string, stepId: ProgressStepId, reason: string) {
  await step.run(`fail-${stepId}`, () => recordFailure(userId, stepId, reason));
  return new NonRetriableError(reason);
}
