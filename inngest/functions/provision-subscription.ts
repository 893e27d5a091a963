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
import { runWithProgress, type ProgressPlan } from "@/inngest/steps/progress";
import { ensureUserCustomer } from "@/lib/billing/customers";
import { isTier, priceFor, tierOfPrice, type Tier } from "@/lib/billing/plans";
import { completeClerkOnboarding } from "@/lib/onboarding/account";
import { fullName, primaryEmailAddress, submittedPayment } from "@/lib/onboarding/clerk-user";
import { chargesAfterFailure, endFailedOnboardingBilling } from "@/lib/onboarding/ending";
import {
  firstInvoiceOutcome,
  payFirstInvoice,
  type PaymentOutcome,
} from "@/lib/onboarding/first-invoice";
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
  type ProgressStepId,
} from "@/lib/onboarding/progress";
import {
  cancelUnpaidSubscription,
  saveCard,
  settledOutcome,
  setupIntentOutcome,
  startTrialSubscription,
  type SetupOutcome,
  type StepTry,
} from "@/lib/onboarding/provisioning";
import {
  cardConfirmationStored,
  untriedPaymentDetails,
  type PaymentDetails,
} from "@/lib/onboarding/submissions";
import { ensureUserNotDeleted } from "@/lib/users";
import { billingClient } from "@/lib/vendors/stripe";
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

/** What each step shows on the user's progress page (inngest/steps/progress). */
const progress: ProgressPlan = {
  "create-stripe-customer": { step: "customer", settles: ["plan"] },
  "confirm-setup-intent": {
    step: "payment-method",
    begin: recordCardAttempt,
    record: recordCardOutcome,
  },
  "check-setup-intent": { step: "payment-method", record: recordCardOutcome },
  "create-trial-subscription": { step: "subscription", record: recordSubscriptionStarted },
  "pay-invoice": {
    step: "subscription",
    begin: recordPaymentAttempt,
    record: recordPaymentOutcome,
  },
  "check-payment": { step: "subscription", record: recordPaymentOutcome },
  "update-clerk-metadata": { step: "account", record: recordOnboardingComplete },
};

type Steps = GetStepTools<typeof inngest>;

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
    const step = { ...steps, run: runWithProgress(steps, userId, progress) };

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

    const { plan, customerId, subscriptionId } = await subscribe(step, stripe, user, {
      ...stepTry,
      runId,
    });
    await step.run("update-clerk-metadata", () =>
      completeClerkOnboarding(userId, {
        onboardingComplete: true,
        tier: plan.tier,
        stripeCustomerId: customerId,
        stripeSubscriptionId: subscriptionId,
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
  await step.run("update-clerk-metadata", () =>
    completeClerkOnboarding(userId, { onboardingComplete: true, tier }),
  );
  return { userId, outcome: "complete", billing: "skipped" };
}

interface Plan {
  tier: Tier;
  priceId: string;
}

/**
 * Until the subscription runs (trialing, or active once its first invoice is paid): take the plan
 * and card (from sign-up, else waited for), check the plan, save the card, subscribe; after a
 * refusal, of the card or of the first charge, wait for the next plan and card, all in this run.
 * The customer is created once a valid plan is chosen, so a refused plan leaves nothing in Stripe.
 * A new card for the same plan pays the same first invoice; a new plan chosen before it is paid
 * replaces the unpaid subscription (nothing was charged), so the plan billed is the one chosen
 * last.
 */
async function subscribe(
  step: Steps,
  stripe: Stripe,
  user: ClerkUser,
  stepTry: StepTry & { runId: string },
): Promise<{ plan: Plan; customerId: string; subscriptionId: string }> {
  const userId = user.id;
  const tried: string[] = [];
  let customerId: string | undefined;
  // A subscription started in this run whose first invoice is still to be paid.
  let unpaid: { plan: Plan; subscriptionId: string; invoiceId: string } | undefined;
  for (let attempt = 1; attempt <= MAX_CARD_ATTEMPTS; attempt++) {
    const submission =
      (attempt === 1 ? submittedPayment(user) : null) ??
      (await awaitPaymentDetails(step, userId, attempt, tried, unpaid ? "subscription" : "plan"));
    const plan = planFor(submission.tier);
    if ("reason" in plan) throw await failOnboarding(step, userId, "plan", plan.reason);

    customerId ??= await step.run("create-stripe-customer", () =>
      ensureUserCustomer(
        stripe,
        { id: userId, email: primaryEmailAddress(user), name: fullName(user) },
        stepTry,
      ),
    );
    tried.push(submission.confirmationToken);
    const card = await confirmCard(
      step,
      stripe,
      { userId, customerId, confirmationToken: submission.confirmationToken, attempt },
      stepTry,
    );
    if (card.status !== "succeeded") continue;
    const paymentMethodId = card.paymentMethodId;

    if (unpaid && unpaid.plan.priceId !== plan.priceId) {
      const { subscriptionId } = unpaid;
      await step.run(numbered("cancel-unpaid-subscription", attempt), () =>
        cancelUnpaidSubscription(stripe, subscriptionId),
      );
      unpaid = undefined;
    }
    if (!unpaid) {
      const subscribing = {
        userId,
        runId: stepTry.runId,
        customerId,
        priceId: plan.priceId,
        paymentMethodId,
      };
      const subscription = await step.run(numbered("create-trial-subscription", attempt), () =>
        startTrialSubscription(stripe, { ...subscribing, lookInStripe: stepTry.lookInStripe }),
      );
      // One adopted from an earlier run keeps its plan.
      const subscribed = planOfPrice(subscription.priceId) ?? plan;
      if (!subscription.unpaidInvoiceId) {
        return { plan: subscribed, customerId, subscriptionId: subscription.id };
      }
      unpaid = {
        plan: subscribed,
        subscriptionId: subscription.id,
        invoiceId: subscription.unpaidInvoiceId,
      };
    }
    // The card's charge when the subscription was just made with it, else a payment with it.
    const { invoiceId } = unpaid;
    const payment = await step.run(numbered("pay-invoice", attempt), () =>
      payFirstInvoice(stripe, { userId, invoiceId, paymentMethodId, lastTry: stepTry.lastTry }),
    );
    const paid = await confirmPayment(step, stripe, { userId, attempt, invoiceId }, payment);
    if (paid.status === "succeeded") {
      return { plan, customerId, subscriptionId: unpaid.subscriptionId };
    }
  }
  throw await failOnboarding(
    step,
    userId,
    unpaid ? "subscription" : "payment-method",
    unpaid
      ? `No card paid the first invoice after ${MAX_CARD_ATTEMPTS} attempts.`
      : `No card could be saved after ${MAX_CARD_ATTEMPTS} attempts.`,
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
  stuckAt: ProgressStepId,
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

/**
 * Saves the card. When the bank asks for 3-D Secure, the browser finishes it with the client
 * secret (awaitBank).
 */
async function confirmCard(
  step: Steps,
  stripe: Stripe,
  input: { userId: string; customerId: string; confirmationToken: string; attempt: number },
  stepTry: StepTry,
): Promise<SetupOutcome> {
  const outcome = await step.run(numbered("confirm-setup-intent", input.attempt), () =>
    saveCard(stripe, { ...input, ...stepTry }),
  );
  if (outcome.status !== "requires_action") return outcome;
  const { setupIntentId } = outcome;
  return awaitBank(step, {
    userId: input.userId,
    attempt: input.attempt,
    subject: "card",
    intent: { field: "setupIntentId", id: setupIntentId },
    look: () => setupIntentOutcome(stripe, setupIntentId),
    settle: (looked) => settledOutcome(looked, "Your bank did not confirm the card."),
  });
}

/**
 * Without a trial, the first invoice's payment; a 3-D Secure challenge is finished in the
 * browser (awaitBank).
 */
async function confirmPayment(
  step: Steps,
  stripe: Stripe,
  input: { userId: string; attempt: number; invoiceId: string },
  outcome: PaymentOutcome,
): Promise<PaymentOutcome> {
  if (outcome.status !== "requires_action") return outcome;
  return awaitBank(step, {
    userId: input.userId,
    attempt: input.attempt,
    subject: "payment",
    intent: { field: "paymentIntentId", id: outcome.paymentIntentId },
    look: () => firstInvoiceOutcome(stripe, input.invoiceId),
    settle: (looked) => settledOutcome(looked, "Your bank did not confirm the payment."),
  });
}

/** The steps waiting for the bank's word on saving the card, and on paying the first invoice. */
const bankSteps = {
  card: { look: "look-at-setup-intent", check: "check-setup-intent" },
  payment: { look: "look-at-payment", check: "check-payment" },
} as const;

/**
 * Waits for the user to pass their bank's 3-D Secure check. The browser finishes it with the
 * client secret and says so, naming the intent; that word is only a hint (it may never come, or
 * come before the wait began), so without it Stripe is asked after a minute, and the run waits
 * out the hour only while Stripe still waits for the bank. The outcome is Stripe's, settled.
 */
async function awaitBank<Outcome extends { status: string }>(
  step: Steps,
  check: {
    userId: string;
    attempt: number;
    subject: keyof typeof bankSteps;
    intent: { field: "setupIntentId" | "paymentIntentId"; id: string };
    /** The intent's outcome as Stripe has it now. */
    look: () => Promise<Outcome>;
    /** The outcome once the wait is over. */
    settle: (outcome: Outcome) => Outcome;
  },
): Promise<Outcome> {
  const { userId, subject, intent } = check;
  const id = (name: string) => numbered(name, check.attempt);
  const waitForConfirmation = (late: string, timeout: string) =>
    step.waitForEvent(id(`wait-for-${subject}-confirmation${late}`), {
      event: onboardingPaymentConfirmed,
      timeout,
      // Intent ids are [A-Za-z0-9_] (Stripe's format), so quoting them is safe.
      if: `async.data.userId == event.data.id && async.data.${intent.field} == '${intent.id}'`,
    });
  const confirmed =
    (await step.run(id(`look-for-${subject}-confirmation`), () =>
      cardConfirmationStored(userId, intent.id),
    )) || (await waitForConfirmation("", CONFIRMATION_TIMEOUTS.first));
  const looked = confirmed
    ? null
    : ((await step.run(id(bankSteps[subject].look), check.look)) as Outcome);
  const bankStillDeciding = looked?.status === "requires_action";
  if (bankStillDeciding) await waitForConfirmation("-late", CONFIRMATION_TIMEOUTS.rest);
  return (await step.run(id(bankSteps[subject].check), async () =>
    check.settle(looked && !bankStillDeciding ? looked : await check.look()),
  )) as Outcome;
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

/**
 * Ends the onboarding for good: the failure is recorded for the user (a step of its own, so it is
 * written once), and the returned error, thrown by the caller, stops the run without retries.
 */
async function failOnboarding(step: Steps, userId: string, stepId: ProgressStepId, reason: string) {
  await step.run(`fail-${stepId}`, () => recordFailure(userId, stepId, reason));
  return new NonRetriableError(reason);
}
