"use client";

import type { Tier } from "@/lib/billing/plans";
import type { OnboardingStatus } from "@/lib/onboarding/status";
import { paths } from "@/lib/routes";
import type { PlanOption } from "../plan-picker";
import { ButtonLink } from "../ui";
import { ConfirmCard } from "./confirm-card";
import { NewCardForm } from "./new-card-form";
import { SupportHelp } from "./support-help";

/**
 * What the user can do in the state the setup is in: first what the state allows them to fix
 * themselves (a plan, another card, their bank's check), then, where that may not be enough,
 * support.
 */
export function ActionPanel({
  status,
  billing,
  justSubmitted,
  plans,
  trialDays,
  tier,
  onPlanChange,
  supportEmail,
  onSubmitted,
}: {
  status: OnboardingStatus;
  /** False when billing is off: no card can be asked for or confirmed. */
  billing: boolean;
  justSubmitted: boolean;
  plans: PlanOption[];
  trialDays: number;
  /** The plan the user chose last, if known; `onPlanChange` tells the page of a new choice. */
  tier?: Tier;
  onPlanChange: (tier: Tier) => void;
  supportEmail: string;
  onSubmitted: () => void;
}) {
  const action = status.action;
  if (status.state === "failed") {
    // The run has ended: only support can finish it (the reason is in the heading).
    return (
      <SupportHelp
        tone="error"
        title="What you can do"
        email={supportEmail}
        reference={status.runId}
      >
        Email us with the reason above and we&apos;ll finish setting up your account for you.
      </SupportHelp>
    );
  }
  if (action?.type === "choose_plan" && !justSubmitted) {
    return (
      <div>
        <ButtonLink href={paths.onboarding}>Choose a plan</ButtonLink>
      </div>
    );
  }
  if (!billing) return null;
  const confirming = action?.type === "confirm_setup" || action?.type === "confirm_payment";
  if (status.state === "action_required" && confirming) {
    return <ConfirmCard clientSecret={action.clientSecret} onDone={onSubmitted} />;
  }
  if (status.state === "payment_failed") {
    // A fresh form for each refusal, even when two arrive between polls.
    const refusal = status.steps.find((step) => step.id === "payment-method")?.at ?? "";
    return (
      <div className="space-y-4">
        <NewCardForm
          key={refusal}
          plans={plans}
          trialDays={trialDays}
          tier={tier}
          onPlanChange={onPlanChange}
          onSubmitted={onSubmitted}
        />
        <SupportHelp tone="info" email={supportEmail} reference={status.runId}>
          Still not working? Your card has not been charged. Email us and we&apos;ll help you
          finish.
        </SupportHelp>
      </div>
    );
  }
  return null;
}
