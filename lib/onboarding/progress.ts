import { and, eq, inArray, isNull, or, sql } from "drizzle-orm";
import { trialWithheld } from "@/lib/billing/trial-eligibility";
import { getDb } from "@/lib/db/client";
import {
  onboarding,
  onboardingSteps,
  type OnboardingAction,
  type OnboardingState,
  type StepStatus,
} from "@/lib/db/schema";
import type { BankOutcome } from "./bank-outcome";

/**
 * The onboarding record the workflows write and `GET /api/onboarding/status` reads. Every write is
 * a single upsert (the Neon HTTP driver has no interactive transactions) that converges when a
 * step is retried, so a write may be repeated any number of times.
 */

/** The steps the user sees, in order. */
export const progressSteps = [
  { id: "plan", label: "Choose a plan and card" },
  { id: "customer", label: "Create your billing account" },
  { id: "payment-method", label: "Save your card" },
  { id: "subscription", label: "Start your trial" },
  { id: "account", label: "Activate your account" },
  { id: "welcome-email", label: "Send your welcome email" },
] as const;

export type ProgressStepId = (typeof progressSteps)[number]["id"];

/**
 * Makes `runId` the run that provisions this user: "first" for the first run that ever did,
 * "rerun" for a run taking over after a failure, null when another run already owns a user whose
 * onboarding has not failed (a redelivered `user.created` changes nothing). The same run
 * claiming again (a retried step) gets the same answer.
 */
export async function claimOnboarding(
  userId: string,
  runId: string,
): Promise<"first" | "rerun" | null> {
  const db = await getDb();
  const [claimed] = await db
    .insert(onboarding)
    .values({ clerkUserId: userId, state: "running", runId, firstRunId: runId })
    .onConflictDoUpdate({
      target: onboarding.clerkUserId,
      set: {
        state: "running",
        reason: null,
        action: null,
        runId: sql`excluded.run_id`,
        firstRunId: sql`coalesce(${onboarding.firstRunId}, excluded.run_id)`,
        updatedAt: sql`now()`,
      },
      setWhere: or(
        isNull(onboarding.runId),
        eq(onboarding.runId, sql`excluded.run_id`),
        eq(onboarding.state, "failed"),
      ),
    })
    .returning({ firstRunId: onboarding.firstRunId });
  if (!claimed) return null;
  return claimed.firstRunId === runId ? "first" : "rerun";
}

/** Records the status of one or more steps (one statement), with why when there is a reason. */
export async function recordSteps(
  userId: string,
  stepIds: ProgressStepId | ProgressStepId[],
  status: StepStatus,
  reason: string | null = null,
) {
  const ids = Array.isArray(stepIds) ? stepIds : [stepIds];
  const db = await getDb();
  await db
    .insert(onboardingSteps)
    .values(ids.map((stepId) => ({ clerkUserId: userId, stepId, status, reason })))
    .onConflictDoUpdate({
      target: [onboardingSteps.clerkUserId, onboardingSteps.stepId],
      set: {
        status: sql`excluded.status`,
        reason: sql`excluded.reason`,
        updatedAt: sql`now()`,
      },
    });
}

/** Records the overall state; the reason and action are cleared unless given. */
export async function recordState(
  userId: string,
  state: OnboardingState,
  details: { reason?: string; action?: OnboardingAction } = {},
) {
  const db = await getDb();
  const values = { state, reason: details.reason ?? null, action: details.action ?? null };
  await db
    .insert(onboarding)
    .values({ clerkUserId: userId, ...values })
    .onConflictDoUpdate({
      target: onboarding.clerkUserId,
      set: { ...values, updatedAt: sql`now()` },
    });
}

/**
 * Records a step that ended the onboarding for good: the step (when known) and the overall state
 * become `failed` with the reason.
 */
export async function recordFailure(userId: string, stepId: ProgressStepId | null, reason: string) {
  if (stepId) await recordSteps(userId, stepId, "failed", reason);
  await recordState(userId, "failed", { reason });
}

/** The steps the provisioning run owns (the welcome email has its own workflow). */
const provisioningStepIds: ProgressStepId[] = [
  "plan",
  "customer",
  "payment-method",
  "subscription",
  "account",
];

/**
 * The last word of a run that failed (Inngest's onFailure): the user's state becomes `failed` with
 * the reason, unless another run has since taken over, and the steps it left unfinished fail too.
 */
export async function markRunFailed(userId: string, runId: string, reason: string) {
  const db = await getDb();
  const owned = await db
    .insert(onboarding)
    .values({ clerkUserId: userId, state: "failed", reason, runId })
    .onConflictDoUpdate({
      target: onboarding.clerkUserId,
      set: { state: "failed", reason, action: null, updatedAt: sql`now()` },
      setWhere: or(isNull(onboarding.runId), eq(onboarding.runId, runId)),
    })
    .returning({ runId: onboarding.runId });
  if (owned.length === 0) return;
  await db
    .update(onboardingSteps)
    .set({ status: "failed", reason, updatedAt: sql`now()` })
    .where(
      and(
        eq(onboardingSteps.clerkUserId, userId),
        inArray(onboardingSteps.stepId, provisioningStepIds),
        inArray(onboardingSteps.status, ["running", "pending"]),
      ),
    );
}

/** Each user's overall onboarding state and the run that owns it, for those that have one. */
export async function onboardingRecords(
  userIds: string[],
): Promise<Map<string, { state: OnboardingState; runId: string | null }>> {
  if (userIds.length === 0) return new Map();
  const db = await getDb();
  const rows = await db
    .select({ userId: onboarding.clerkUserId, state: onboarding.state, runId: onboarding.runId })
    .from(onboarding)
    .where(inArray(onboarding.clerkUserId, userIds));
  return new Map(rows.map(({ userId, ...record }) => [userId, record]));
}

/** Whether the user was onboarded: a provisioning run completed (nothing undoes that). */
export async function hasCompletedOnboarding(userId: string): Promise<boolean> {
  return (await onboardingRecords([userId])).get(userId)?.state === "complete";
}

/**
 * The welcome email failed for good (the email workflow's onFailure): its step shows it, with
 * the reason, unless it had already finished (a later email of the drip failed).
 */
export async function recordWelcomeEmailFailed(userId: string, reason: string) {
  const db = await getDb();
  await db
    .insert(onboardingSteps)
    .values({ clerkUserId: userId, stepId: "welcome-email", status: "failed", reason })
    .onConflictDoUpdate({
      target: [onboardingSteps.clerkUserId, onboardingSteps.stepId],
      set: { status: "failed", reason, updatedAt: sql`now()` },
      setWhere: inArray(onboardingSteps.status, ["running", "pending"]),
    });
}

/**
 * Where the user's bank or card decides: saving the card, and, without a trial, paying the first
 * invoice. Each has its step, and its words and browser action for a 3-D Secure challenge.
 */
const decidedByTheBank = {
  card: {
    step: "payment-method",
    waiting: "Waiting for your bank to confirm",
    reason: "Your bank needs you to confirm the card.",
    action: "confirm_setup",
  },
  payment: {
    step: "subscription",
    waiting: "Waiting for your bank to confirm the payment",
    reason: "Your bank needs you to confirm the payment.",
    action: "confirm_payment",
  },
} as const;

/** A card is being saved, or a payment made: the run is working again (after a refusal, on the new card). */
async function recordAttempt(userId: string, subject: keyof typeof decidedByTheBank) {
  await recordSteps(userId, decidedByTheBank[subject].step, "running");
  await recordState(userId, "running");
}

/** What the user sees after an attempt: done, their bank's challenge, or why not. */
async function recordOutcome(
  userId: string,
  subject: keyof typeof decidedByTheBank,
  outcome: BankOutcome,
) {
  const { step, waiting, reason, action } = decidedByTheBank[subject];
  switch (outcome.status) {
    case "succeeded":
      await recordSteps(userId, step, "done");
      await recordState(userId, "running");
      return;
    case "requires_action":
      await recordSteps(userId, step, "running", waiting);
      await recordState(userId, "action_required", {
        reason,
        action: { type: action, clientSecret: outcome.clientSecret },
      });
      return;
    case "failed":
      await recordSteps(userId, step, "failed", outcome.reason);
      await recordState(userId, "payment_failed", {
        reason: outcome.reason,
        action: { type: "update_payment_method" },
      });
  }
}

export const recordCardAttempt = (userId: string) => recordAttempt(userId, "card");
export const recordCardOutcome = (userId: string, outcome: BankOutcome) =>
  recordOutcome(userId, "card", outcome);
export const recordPaymentAttempt = (userId: string) => recordAttempt(userId, "payment");
export const recordPaymentOutcome = (userId: string, outcome: BankOutcome) =>
  recordOutcome(userId, "payment", outcome);

/** The subscription started, or, while its first invoice is unpaid, is still being started. */
export async function recordSubscriptionStarted(
  userId: string,
  subscription: { unpaidInvoiceId: string | null; trialWithheld: boolean },
) {
  await recordSteps(
    userId,
    "subscription",
    subscription.unpaidInvoiceId ? "running" : "done",
    subscription.trialWithheld ? trialWithheld : null,
  );
}

/** The run waits for the user to choose a plan and a card (they signed up without them). */
export async function recordAwaitingPaymentDetails(userId: string) {
  await recordSteps(userId, "plan", "pending", "Waiting for a plan and a card");
  await recordState(userId, "awaiting_payment", { action: { type: "choose_plan" } });
}

/** The user is onboarded: the account step is done and the status says complete. */
export async function recordOnboardingComplete(userId: string) {
  await recordSteps(userId, "account", "done");
  await recordState(userId, "complete");
}
