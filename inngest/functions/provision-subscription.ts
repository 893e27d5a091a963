import { NonRetriableError, type GetStepTools } from "inngest";
import type Stripe from "stripe";
import { inngest } from "@/inngest/client";
import { onboardingSubmitted, userCreated, userDeleted } from "@/inngest/events";
import { failureReasonForUser } from "@/inngest/middleware/workflow-errors";
import { awaitBank } from "@/inngest/steps/await-bank";
import { progressRunner, type ProgressRunner, type TrackedStep } from "@/inngest/steps/progress";
import { numbered } from "@/inngest/steps/step-id";
import { ensureUserCustomer } from "@/lib/billing/customers";
import { isTier, priceFor, tierOfPrice, trialDays, type Tier } from "@/lib/billing/plans";
import { claimTrial } from "@/lib/billing/trial-eligibility";
import { completeClerkOnboarding } from "@/lib/onboarding/account";
import { settledOutcome } from "@/lib/onboarding/bank-outcome";
import { chargesAfterFailure, endFailedOnboardingBilling } from "@/lib/onboarding/ending";
import {
  fullName,
  primaryEmailAddress,
  submittedPayment,
  verifiedPrimaryEmail,
} from "@/lib/onboarding/clerk-user";
import {
  invoicePaymentOutcome,
  payInvoice,
  type PaymentOutcome,
} from "@/lib/onboarding/invoice-payment";
import {
  claimOnboarding,
  markRunFailed,
  recordAwaitingPaymentDetails,
  recordCardAttempt,
  recordCardOutcome,
  recordFailure,
  recordOnboardingComplete,
  recordPaymentAttempt,
  recordPaymentOutcome,
  recordSteps,
  recordSubscriptionStarted,
} from "@/lib/onboarding/progress";
import {
  cancelUnpaidSubscription,
  saveCard,
  setupIntentOutcome,
  startTrialSubscription,
  type SetupOutcome,
  type StepTry,
} from "@/lib/onboarding/provisioning";
import { untriedPaymentDetails, type PaymentDetails } from "@/lib/onboarding/submissions";
import { ensureUserNotDeleted } from "@/lib/users";
import { billingClient } from "@/lib/vendors/stripe";
import type { ClerkUser } from "@/lib/webhooks/payloads";

/**
 * How long a user without a card has to submit one (the onboarding page sends it): a first
 * minute, after which the run looks at what was stored (a submission sent before the wait began
 * is never delivered to it), then the rest of the week.
 */
export const SUBMISSION_TIMEOUTS = { first: "1m", rest: "7d" } as const;
/** Cards a user may try before the onboarding fails for good. */
export const MAX_CARD_ATTEMPTS = 5;

/** The steps that show on the user's progress page (inngest/steps/progress), by what they do. */
const tracked = {
  createCustomer: { id: "create-stripe-customer", step: "customer", settles: ["plan"] },
  confirmCard: {
    id: "confirm-setup-intent",
    step: "payment-method",
    begin: recordCardAttempt,
    record: recordCardOutcome,
  },
  checkCard: { id: "check-setup-intent", step: "payment-method", record: recordCardOutcome },
  startSubscription: {
    id: "create-trial-subscription",
    step: "subscription",
    record: recordSubscriptionStarted,
  },
  payInvoice: {
    id: "pay-invoice",
    step: "subscription",
    begin: recordPaymentAttempt,
    record: recordPaymentOutcome,
  },
  checkPayment: { id: "check-payment", step: "subscription", record: recordPaymentOutcome },
  completeAccount: {
    id: "update-clerk-metadata",
    step: "account",
    record: recordOnboardingComplete,
  },
} satisfies Record<string, TrackedStep<never>>;

/** The run's step tools, and `track` for the steps that show on the progress page. */
type Steps = GetStepTools<typeof inngest> & { track: ProgressRunner };

/**
 * Turns a new Clerk user into a trialing (or, without a trial, paying) Stripe customer: collect a
 * card (from the sign-up form, else waited for), confirm it, subscribe, tell Clerk. Each vendor
 * call is its own step with its own idempotency key, and none is made for a user deleted in Clerk.
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
    onFailure: async ({ event, error, logger, step }) => {
      const runId = event.data.run_id;
      const userId = event.data.event.data.id;
      // The detail (a vendor's or the database's own words) is for the operator, by run id.
      logger.error("provisioning failed", { failedRunId: runId, error });
      const reason = failureReasonForUser(
        error,
        "Setting up your account failed after several attempts. Please contact support; the reference on this page helps us find what happened.",
      );
      await step.run("mark-run-failed", () => markRunFailed(userId, runId, reason));
      // A run that ends for good ends what it started, and the user is told what became of it.
      // (Should Stripe refuse for good, the reconciler reports a failed onboarding's live
      // subscription to an operator.)
      // Without billing the run started nothing in Stripe.
      const stripe = billingClient();
      const ended = await step.run("end-started-billing", async () =>
        stripe ? await endFailedOnboardingBilling(stripe, userId, runId) : null,
      );
      await step.run("say-what-was-charged", () =>
        markRunFailed(userId, runId, `${reason} ${chargesAfterFailure(ended)}`),
      );
    },
  },
  async ({ event, step: steps, runId, attempt, maxAttempts }) => {
    const user = event.data;
    const userId = user.id;
    const step = { ...steps, track: progressRunner(steps, userId) };

    const claim = await step.run("claim-onboarding", () => claimOnboarding(userId, runId));
    if (!claim) return { userId, outcome: "skipped: another run provisions this user" };
    // `attempt` is that of the step this request runs. Stripe may already hold what it creates
    // when an earlier attempt made it (a lost answer, or a 500 Stripe replays for the key) or an
    // earlier run did (a rerun after a failure): it is looked for there before creating.
    const stepTry: StepTry = {
      lookInStripe: claim === "rerun" || attempt > 0,
      lastTry: maxAttempts !== undefined && attempt + 1 >= maxAttempts,
    };
    // Svix keeps no order: the user's deletion may have been processed first.
    await step.run("check-user-not-deleted", () => ensureUserNotDeleted(userId));

    const stripe = billingClient();
    if (!stripe) return onboardWithoutBilling(step, user);

    const { plan, customerId, subscriptionId, status } = await subscribe({
      step,
      stripe,
      user,
      stepTry: { ...stepTry, runId },
    });
    await step.track(tracked.completeAccount, () =>
      completeClerkOnboarding(userId, {
        onboardingComplete: true,
        tier: plan.tier,
        stripeCustomerId: customerId,
        stripeSubscriptionId: subscriptionId,
        subscriptionStatus: status,
      }),
    );
    return { userId, outcome: "complete", tier: plan.tier, customerId, subscriptionId };
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
  await step.track(tracked.completeAccount, () =>
    completeClerkOnboarding(userId, { onboardingComplete: true, tier }),
  );
  return { userId, outcome: "complete", billing: "skipped" };
}

interface Plan {
  tier: Tier;
  priceId: string;
}

/** What the steps of subscribing share: the run's tools, the user, and how its steps are tried. */
interface Subscribing {
  step: Steps;
  stripe: Stripe;
  user: ClerkUser;
  stepTry: StepTry & { runId: string };
}

/** A subscription started in this run whose first invoice is still to be paid. */
interface UnpaidSubscription {
  plan: Plan;
  subscriptionId: string;
  invoiceId: string;
}

interface Subscribed {
  plan: Plan;
  customerId: string;
  subscriptionId: string;
  /** Stripe's status of it: trialing, or active once its first invoice is paid. */
  status: string;
}

/** What one try of a card hands the next, after a refusal of the card or of the first charge. */
interface Try {
  /** From 1; the steps of later tries end in it (`numbered`). */
  attempt: number;
  /** The ConfirmationTokens tried so far. */
  tried: readonly string[];
  customerId?: string;
  unpaid?: UnpaidSubscription;
}

/**
 * Until the subscription runs (trialing, or active once its first invoice is paid): take the plan
 * and card (from sign-up, else waited for), create the customer, save the card, subscribe, pay the
 * first invoice; after a refusal, of the card or of the first charge, the next try waits for the
 * next plan and card, all in this run.
 */
async function subscribe(
  run: Subscribing,
  tries: Try = { attempt: 1, tried: [] },
): Promise<Subscribed> {
  const { attempt, unpaid } = tries;
  if (attempt > MAX_CARD_ATTEMPTS) {
    throw await failOnboarding(
      run.step,
      run.user.id,
      unpaid ? "subscription" : "payment-method",
      unpaid
        ? `No card paid the first invoice after ${MAX_CARD_ATTEMPTS} attempts.`
        : `No card could be saved after ${MAX_CARD_ATTEMPTS} attempts.`,
    );
  }
  const { plan, confirmationToken } = await choosePlan(run, tries);
  const customerId = tries.customerId ?? (await createCustomer(run));
  const next: Try = {
    attempt: attempt + 1,
    tried: [...tries.tried, confirmationToken],
    customerId,
    unpaid,
  };
  const card = await confirmCard(run, { customerId, confirmationToken, attempt });
  if (card.status !== "succeeded") return subscribe(run, next);
  const { paymentMethodId } = card;

  const started = await subscribeToPlan(run, {
    customerId,
    plan,
    paymentMethodId,
    attempt,
    unpaid,
  });
  if ("running" in started) return started.running;
  const { subscriptionId, invoiceId } = started.unpaid;
  const paid = await payFirstInvoiceWith(run, { invoiceId, paymentMethodId, attempt });
  // The first invoice is paid: Stripe has made it active.
  if (paid.status === "succeeded") return { plan, customerId, subscriptionId, status: "active" };
  return subscribe(run, { ...next, unpaid: started.unpaid });
}

/**
 * The plan and card of this try: from the sign-up form on the first, else submitted on the
 * onboarding or progress page. A plan we do not offer ends the onboarding for good, before
 * anything is made in Stripe.
 */
async function choosePlan({ step, user }: Subscribing, { attempt, tried, unpaid }: Try) {
  const submission =
    (attempt === 1 ? submittedPayment(user) : null) ??
    (await awaitPaymentDetails(step, user.id, attempt, tried, unpaid ? "subscription" : "plan"));
  const plan = planFor(submission.tier);
  if ("reason" in plan) throw await failOnboarding(step, user.id, "plan", plan.reason);
  return { plan, confirmationToken: submission.confirmationToken };
}

/** The user's Stripe customer, made once a valid plan is chosen (so a refused plan leaves nothing). */
function createCustomer({ step, stripe, user, stepTry }: Subscribing) {
  return step.track(tracked.createCustomer, () =>
    ensureUserCustomer(
      stripe,
      {
        id: user.id,
        email: primaryEmailAddress(user),
        name: fullName(user),
        // Clerk's, the same on every retry (a test clock, when on, is frozen at it).
        signedUpAt: user.created_at ? new Date(user.created_at) : null,
      },
      stepTry,
    ),
  );
}

/**
 * The subscription this try's card pays for. A new card for the same plan pays the same unpaid
 * first invoice; a new plan chosen before it is paid replaces that subscription (nothing was
 * charged), so the plan billed is the one chosen last. `running` once it needs no payment now
 * (trialing, or one adopted from an earlier run that is).
 */
async function subscribeToPlan(
  { step, stripe, user, stepTry }: Subscribing,
  input: {
    customerId: string;
    plan: Plan;
    paymentMethodId: string;
    attempt: number;
    unpaid: UnpaidSubscription | undefined;
  },
): Promise<{ running: Subscribed } | { unpaid: UnpaidSubscription }> {
  const { customerId, plan, attempt } = input;
  if (input.unpaid?.plan.priceId === plan.priceId) return { unpaid: input.unpaid };
  if (input.unpaid) {
    const { subscriptionId } = input.unpaid;
    await step.run(numbered("cancel-unpaid-subscription", attempt), () =>
      cancelUnpaidSubscription(stripe, subscriptionId),
    );
  }
  const userId = user.id;
  const { paymentMethodId } = input;
  // One free trial per person (card and verified address), decided before subscribing.
  const trial =
    trialDays() > 0 &&
    (await step.run(numbered("check-trial-eligibility", attempt), () =>
      claimTrial(stripe, { userId, paymentMethodId, verifiedEmail: verifiedPrimaryEmail(user) }),
    ));
  const subscribing = {
    userId,
    runId: stepTry.runId,
    customerId,
    priceId: plan.priceId,
    paymentMethodId,
    trial,
  };
  const subscription = await step.track(
    tracked.startSubscription,
    () => startTrialSubscription(stripe, { ...subscribing, lookInStripe: stepTry.lookInStripe }),
    attempt,
  );
  // One adopted from an earlier run keeps its plan.
  const subscribed = planOfPrice(subscription.priceId) ?? plan;
  if (!subscription.unpaidInvoiceId) {
    return {
      running: {
        plan: subscribed,
        customerId,
        subscriptionId: subscription.id,
        status: subscription.status,
      },
    };
  }
  return {
    unpaid: {
      plan: subscribed,
      subscriptionId: subscription.id,
      invoiceId: subscription.unpaidInvoiceId,
    },
  };
}

/**
 * Without a trial, the first invoice's payment with this try's card (its charge when the
 * subscription was just made with it, else a payment with it); a 3-D Secure challenge is
 * finished in the browser (awaitBank).
 */
async function payFirstInvoiceWith(
  { step, stripe, user, stepTry }: Subscribing,
  input: { invoiceId: string; paymentMethodId: string; attempt: number },
): Promise<PaymentOutcome> {
  const { invoiceId, paymentMethodId, attempt } = input;
  const userId = user.id;
  const payment = await step.track(
    tracked.payInvoice,
    () => payInvoice(stripe, { userId, invoiceId, paymentMethodId, lastTry: stepTry.lastTry }),
    attempt,
  );
  if (payment.status !== "requires_action") return payment;
  return awaitBank(step, {
    userId,
    attempt,
    subject: "payment",
    intentId: payment.paymentIntentId,
    look: () =>
      step.run(numbered("look-at-payment", attempt), () =>
        invoicePaymentOutcome(stripe, invoiceId),
      ),
    check: (final) =>
      step.track(
        tracked.checkPayment,
        async () =>
          settledOutcome(
            final ?? (await invoicePaymentOutcome(stripe, invoiceId)),
            "Your bank did not confirm the payment.",
          ),
        attempt,
      ),
  });
}

/**
 * Saves the card. When the bank asks for 3-D Secure, the browser finishes it with the client
 * secret (awaitBank).
 */
async function confirmCard(
  { step, stripe, user, stepTry }: Subscribing,
  input: { customerId: string; confirmationToken: string; attempt: number },
): Promise<SetupOutcome> {
  const { attempt } = input;
  const userId = user.id;
  const outcome = await step.track(
    tracked.confirmCard,
    () => saveCard(stripe, { ...input, userId, ...stepTry }),
    attempt,
  );
  if (outcome.status !== "requires_action") return outcome;
  const { setupIntentId } = outcome;
  return awaitBank(step, {
    userId,
    attempt,
    subject: "card",
    intentId: setupIntentId,
    look: () =>
      step.run(numbered("look-at-setup-intent", attempt), () =>
        setupIntentOutcome(stripe, setupIntentId),
      ),
    check: (final) =>
      step.track(
        tracked.checkCard,
        async () =>
          settledOutcome(
            final ?? (await setupIntentOutcome(stripe, setupIntentId)),
            "Your bank did not confirm the card.",
          ),
        attempt,
      ),
  });
}

/**
 * The next plan and card from the onboarding or progress page. The page stores a submission
 * before sending its event, and the event reaches only a wait that has begun, so the store is
 * read before waiting and after each timeout.
 */
async function awaitPaymentDetails(
  step: Steps,
  userId: string,
  attempt: number,
  tried: readonly string[],
  stuckAt: "plan" | "subscription",
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
      stuckAt,
      stuckAt === "plan"
        ? "No plan and card were submitted within 7 days."
        : "No new card was submitted within 7 days.",
    );
  }
  return submitted;
}

/** The catalogue's plan on this price, if it is one. */
function planOfPrice(priceId: string): Plan | undefined {
  const tier = tierOfPrice(priceId);
  return tier && { tier, priceId };
}

/** The price behind a tier the browser named, or why there is none. Never a price from the browser. */
function planFor(tier: string): Plan | { reason: string } {
  if (!isTier(tier)) return { reason: `"${tier}" is not a plan we offer.` };
  const priceId = priceFor(tier);
  if (!priceId) return { reason: `The ${tier} plan is not available right now.` };
  return { tier, priceId };
}

/** The steps recording that the onboarding ended for good, by the progress step it ended on. */
const failureSteps = {
  plan: "fail-plan",
  "payment-method": "fail-payment-method",
  subscription: "fail-subscription",
} as const;

/**
 * Ends the onboarding for good: the failure is recorded for the user (a step of its own, so it is
 * written once), and the returned error, thrown by the caller, stops the run without retries.
 */
async function failOnboarding(
  step: Steps,
  userId: string,
  stepId: keyof typeof failureSteps,
  reason: string,
) {
  await step.run(failureSteps[stepId], () => recordFailure(userId, stepId, reason));
  return new NonRetriableError(reason);
}
