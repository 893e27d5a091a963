"use client";

import { useState } from "react";
import { useOnboardingStatus } from "@/app/_lib/use-onboarding-status";
import type { Tier } from "@/lib/billing/plans";
import type { OnboardingStatus } from "@/lib/onboarding/status";
import type { PlanOption } from "../plan-picker";
import { Alert, Button, Card, Spinner } from "../ui";
import { ActionPanel } from "./action-panel";
import { ProgressHeading } from "./progress-heading";
import { StatusNotices } from "./status-notices";
import { StepList } from "./step-list";
import { useSessionRefresh } from "./use-session-refresh";

export interface ProgressViewProps {
  /** False when billing is off: no card can be asked for or confirmed. */
  billing: boolean;
  stallAfterMs: number;
  /** The status the server rendered the page with. */
  initialStatus: OnboardingStatus | null;
  plans: PlanOption[];
  trialDays: number;
  /** The plan the user chose last, if known (each new card keeps it, or the user's next pick). */
  tier?: Tier;
  /** Set on /onboarding right after submitting: the run has not picked the submission up yet. */
  justSubmitted?: boolean;
  supportEmail: string;
}

/**
 * The live "setting up your account" view: each step as it happens, what the user can do when a
 * step needs them, a plain message when nothing moves for too long, and on completion a fresh
 * session (so the new claims arrive) and the dashboard.
 */
export function ProgressView({
  billing,
  stallAfterMs,
  initialStatus,
  plans,
  trialDays,
  tier,
  justSubmitted = false,
  supportEmail,
}: ProgressViewProps) {
  const live = useOnboardingStatus({ stallAfterMs, initial: initialStatus });
  // Kept here, since each refusal brings a fresh new-card form.
  const [planChoice, setPlanChoice] = useState(tier);
  const { status } = live;
  const complete = status?.state === "complete";
  const session = useSessionRefresh(complete);

  return (
    <div data-state={status?.state ?? "loading"} className="space-y-6">
      <ProgressHeading status={status} justSubmitted={justSubmitted} />
      <StatusNotices live={live} supportEmail={supportEmail} />

      {status && (
        <ActionPanel
          status={status}
          billing={billing}
          justSubmitted={justSubmitted}
          plans={plans}
          trialDays={trialDays}
          tier={planChoice}
          onPlanChange={setPlanChoice}
          supportEmail={supportEmail}
          onSubmitted={live.checkNow}
        />
      )}

      {complete && session.lagging && (
        <Alert tone="warning" title="Your account is ready, but your sign-in hasn't caught up">
          <p>This can take a moment. Try again, or sign out (top right) and sign in again.</p>
          <Button onClick={session.retry}>Try again</Button>
        </Alert>
      )}

      <Card>
        {status ? (
          <StepList steps={status.steps} statedReason={status.reason} />
        ) : (
          <p className="flex items-center gap-2 text-sm text-slate-600">
            <Spinner className="size-4 text-brand-600" /> Loading your progress…
          </p>
        )}
      </Card>
    </div>
  );
}
