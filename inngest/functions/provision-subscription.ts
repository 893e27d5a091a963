import { NonRetriableError, type GetStepTools } from "inngest";
import { inngest } from "@/inngest/client";
import {
  onboardingPaymentConfirmed,
  onboardingSubmitted,
  userCreated,
  userDeleted,
} from "@/inngest/events";
import { isTier, priceFor, type Tier } from "@/lib/billing/plans";
import { completeClerkOnboarding } from "@/lib/onboarding/account";
import {
  setupIntentOutcome,
  settledSetupOutcome,
  confirmSetupIntent,
  createTrialSubscription,
  findOrCreateCustomer,
  type SetupOutcome,
} from "@/lib/onboarding/billing";
import { fullName, primaryEmailAddress, submittedPayment } from "@/lib/onboarding/clerk-user";
import {
  claimOnboarding,
  markRunFailed,
  recordFailure,
  recordState,
  recordSteps,
  type ProgressStepId,
} from "@/lib/onboarding/progress";
import { stripe } from "@/lib/stripe";

/** How long a user without a card has to submit one (the onboarding page sends it). */
export const SUBMISSION_TIMEOUT = "7d";
/**
 * How long the run waits for the browser's word that 3-D Secure is done before asking Stripe,
 * first, and then, while Stripe still waits for the bank, for the rest of the hour the user has.
 */
export const CONFIRMATION_TIMEOUTS = { first: "1m", rest: "59m" } as const;
/** Cards a user may try before the onboarding fails for good. */
export const MAX_CARD_ATTEMPTS = 5;

/**
 * Turns a new Clerk user into a trialing Stripe customer: customer, SetupIntent confirmed with the
 * sign-up form's ConfirmationToken, trial subscription, then one Clerk write that marks the user
 * onboarded. Four vendor calls in sequence on the happy path, each its own step with its own
 * idempotency key; progress is recorded for `GET /api/onboarding/status` as it goes.
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
    onFailure: async ({ event, error }) => {
      await markRunFailed(event.data.event.data.id, event.data.run_id, failureReason(error));
    },
  },
  async ({ event, step, runId }) => {
    const user = event.data;
    const userId = user.id;

    const owner = await step.run("claim-onboarding", () => claimOnboarding(userId, runId));
    if (!owner) return { userId, outcome: "skipped: another run provisions this user" };

    const payment = submittedPayment(user);

    if (!stripe) {
      const tier = payment && isTier(payment.tier) ? payment.tier : undefined;
      await step.run("skip-billing", () =>
        recordSteps(
          userId,
          ["plan", "customer", "payment-method", "subscription"],
          "skipped",
          "Billing is not configured",
        ),
      );
      await step.run("update-clerk-metadata", async () => {
        await tracked(userId, "account", () =>
          completeClerkOnboarding(userId, { onboardingComplete: true, tier }),
        );
        await recordState(userId, "complete");
      });
      return { userId, outcome: "complete", billing: "skipped" };
    }
    const client = stripe;

    // Until a card is saved: take the submission (from sign-up, else waited for), check its plan,
    // confirm its card, and on a refusal wait for the next one, all in this run.
    let submission = payment;
    let customer: string | undefined;
    let saved:
      { tier: Tier; priceId: string; customerId: string; paymentMethodId: string } | undefined;
    for (let attempt = 1; !saved; attempt++) {
      const numbered = (id: string) => (attempt === 1 ? id : `${id}-${attempt}`);
      if (attempt > MAX_CARD_ATTEMPTS) {
        throw await permanentFailure(
          step,
          userId,
          "payment-method",
          `No card could be saved after ${MAX_CARD_ATTEMPTS} attempts.`,
        );
      }

      if (!submission) {
        if (attempt === 1) {
          await step.run("await-payment-details", async () => {
            await recordSteps(userId, "plan", "pending", "Waiting for a plan and a card");
            await recordState(userId, "awaiting_payment", { action: { type: "choose_plan" } });
          });
        }
        const submitted = await step.waitForEvent(numbered("wait-for-payment-details"), {
          event: onboardingSubmitted,
          timeout: SUBMISSION_TIMEOUT,
          if: "async.data.userId == event.data.id",
        });
        if (!submitted) {
          throw await permanentFailure(
            step,
            userId,
            "plan",
            "No plan and card were submitted within 7 days.",
          );
        }
        submission = submitted.data;
      }

      const plan = planFor(submission.tier);
      if ("reason" in plan) throw await permanentFailure(step, userId, "plan", plan.reason);

      // Created once a valid plan is chosen, so a refused plan leaves nothing behind in Stripe.
      const customerId = (customer ??= await step.run("create-stripe-customer", async () => {
        await recordSteps(userId, "plan", "done");
        return tracked(userId, "customer", () =>
          findOrCreateCustomer(client, {
            id: userId,
            email: primaryEmailAddress(user),
            name: fullName(user),
          }),
        );
      }));
      const { confirmationToken } = submission;

      let outcome = await step.run(numbered("confirm-setup-intent"), async () => {
        await recordSteps(userId, "payment-method", "running");
        await recordState(userId, "running");
        const result = await confirmSetupIntent(client, { userId, customerId, confirmationToken });
        await recordSetupOutcome(userId, result);
        return result;
      });

      if (outcome.status === "requires_action") {
        // The browser finishes 3-D Secure with the client secret and says so, but the event is
        // only a hint: it may never come, and one sent before the wait began is missed (a
        // frictionless check can be over within a second). So without it Stripe is asked after
        // a minute, and the run waits out the hour only while Stripe still waits for the bank.
        const setupIntentId = outcome.setupIntentId;
        const waitForConfirmation = (id: string, timeout: string) =>
          step.waitForEvent(numbered(id), {
            event: onboardingPaymentConfirmed,
            timeout,
            if: "async.data.userId == event.data.id",
          });
        const confirmed = await waitForConfirmation(
          "wait-for-card-confirmation",
          CONFIRMATION_TIMEOUTS.first,
        );
        const looked = confirmed
          ? null
          : await step.run(numbered("look-at-setup-intent"), () =>
              setupIntentOutcome(client, setupIntentId),
            );
        const bankStillDeciding = looked?.status === "requires_action";
        if (bankStillDeciding) {
          await waitForConfirmation("wait-for-card-confirmation-late", CONFIRMATION_TIMEOUTS.rest);
        }
        outcome = await step.run(numbered("check-setup-intent"), async () => {
          const result = settledSetupOutcome(
            looked && !bankStillDeciding ? looked : await setupIntentOutcome(client, setupIntentId),
          );
          await recordSetupOutcome(userId, result);
          if (result.status === "succeeded") await recordState(userId, "running");
          return result;
        });
      }

      if (outcome.status === "succeeded") {
        saved = { ...plan, customerId, paymentMethodId: outcome.paymentMethodId };
      } else {
        submission = null;
      }
    }
    const { tier, priceId, customerId, paymentMethodId } = saved;

    const subscription = await step.run("create-trial-subscription", () =>
      tracked(userId, "subscription", () =>
        createTrialSubscription(client, { userId, customerId, priceId, paymentMethodId }),
      ),
    );

    await step.run("update-clerk-metadata", async () => {
      await tracked(userId, "account", () =>
        completeClerkOnboarding(userId, {
          onboardingComplete: true,
          tier,
          stripeCustomerId: customerId,
          stripeSubscriptionId: subscription.id,
        }),
      );
      await recordState(userId, "complete");
    });

    return { userId, outcome: "complete", tier, customerId, subscriptionId: subscription.id };
  },
);

/** The price behind a tier the browser named, or why there is none. Never a price from the browser. */
function planFor(tier: string): { tier: Tier; priceId: string } | { reason: string } {
  if (!isTier(tier)) return { reason: `"${tier}" is not a plan we offer.` };
  const priceId = priceFor(tier);
  if (!priceId) return { reason: `The ${tier} plan is not available right now.` };
  return { tier, priceId };
}

/** Runs one step's work with its progress recorded: running, then done, or failed for good. */
async function tracked<T>(userId: string, stepId: ProgressStepId, work: () => Promise<T>) {
  await recordSteps(userId, stepId, "running");
  try {
    const result = await work();
    await recordSteps(userId, stepId, "done");
    return result;
  } catch (error) {
    if (error instanceof NonRetriableError) await recordFailure(userId, stepId, error.message);
    throw error;
  }
}

async function recordSetupOutcome(userId: string, outcome: SetupOutcome) {
  switch (outcome.status) {
    case "succeeded":
      await recordSteps(userId, "payment-method", "done");
      return;
    case "requires_action":
      await recordSteps(userId, "payment-method", "running", "Waiting for your bank to confirm");
      await recordState(userId, "action_required", {
        reason: "Your bank needs you to confirm the card.",
        action: { type: "confirm_setup", clientSecret: outcome.clientSecret },
      });
      return;
    case "failed":
      await recordSteps(userId, "payment-method", "failed", outcome.reason);
      await recordState(userId, "payment_failed", {
        reason: outcome.reason,
        action: { type: "update_payment_method" },
      });
  }
}

/**
 * Ends the onboarding for good: the failure is recorded for the user (a step of its own, so it is
 * written once), and the returned error, thrown by the caller, stops the run without retries.
 */
async function permanentFailure(
  step: GetStepTools<typeof inngest>,
  userId: string,
  stepId: ProgressStepId,
  reason: string,
) {
  await step.run(`fail-${stepId}`, () => recordFailure(userId, stepId, reason));
  return new NonRetriableError(reason);
}

/** What the user reads when a run fails: our own reasons as they are, anything else in general. */
export function failureReason(error: Error) {
  return error.name === "NonRetriableError"
    ? error.message
    : `Setting up your account failed (${error.message}). Please contact support.`;
}
