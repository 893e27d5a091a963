import { eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import {
  onboarding,
  onboardingSteps,
  type OnboardingAction,
  type OnboardingState,
  type StepStatus,
} from "@/lib/db/schema";
import { progressSteps, type ProgressStepId } from "./progress";

export interface OnboardingStepStatus {
  id: ProgressStepId;
  label: string;
  status: StepStatus;
  /** When the step last changed (ISO 8601); null until it is first recorded. */
  at: string | null;
  reason?: string;
}

/** The answer of `GET /api/onboarding/status`. */
export interface OnboardingStatus {
  state: OnboardingState;
  /**
   * The Inngest run provisioning this user, once it started: shown to the user as a reference
   * for support, and what an operator searches in the Inngest dev server or Cloud.
   */
  runId?: string;
  reason?: string;
  action?: OnboardingAction;
  steps: OnboardingStepStatus[];
}

/**
 * One user's onboarding progress: every step in order, those not recorded yet as `pending`.
 * A user with no record at all is `pending`, not an error (the workflow may not have started).
 */
export async function onboardingStatus(userId: string): Promise<OnboardingStatus> {
  const db = await getDb();
  const [[overall], recorded] = await Promise.all([
    db.select().from(onboarding).where(eq(onboarding.clerkUserId, userId)),
    db.select().from(onboardingSteps).where(eq(onboardingSteps.clerkUserId, userId)),
  ]);
  const byId = new Map(recorded.map((row) => [row.stepId, row]));
  return {
    state: overall?.state ?? "pending",
    ...(overall?.runId ? { runId: overall.runId } : {}),
    ...(overall?.reason ? { reason: overall.reason } : {}),
    ...(overall?.action ? { action: overall.action } : {}),
    steps: progressSteps.map(({ id, label }) => {
      const row = byId.get(id);
      return {
        id,
        label,
        status: row?.status ?? "pending",
        at: row ? row.updatedAt.toISOString() : null,
        ...(row?.reason ? { reason: row.reason } : {}),
      };
    }),
  };
}
