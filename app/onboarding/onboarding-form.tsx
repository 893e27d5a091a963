"use client";

import { useState } from "react";
import { CardField, PaymentDetailsProvider } from "@/app/_components/card-field";
import { PlanPicker, type PlanOption } from "@/app/_components/plan-picker";
import { OnboardingProgress } from "@/app/_components/progress/onboarding-progress";
import { TermsConsent } from "@/app/_components/terms-consent";
import { Alert, Button, Card, PageTitle } from "@/app/_components/ui";
import { useCardSubmission } from "@/app/_components/use-card-submission";
import { submitPlanAndCard } from "@/app/_lib/onboarding-actions";
import type { Tier } from "@/lib/billing/plans";

interface Props {
  plans: PlanOption[];
  trialDays: number;
  initialTier: Tier;
  stripePublishableKey: string;
  stallAfterMs: number;
  supportEmail: string;
}

/** Plan and card for a user who has an account but no payment details; then the same progress. */
export function OnboardingForm({
  plans,
  trialDays,
  initialTier,
  stripePublishableKey,
  stallAfterMs,
  supportEmail,
}: Props) {
  const [submitted, setSubmitted] = useState<Tier | null>(null);
  if (submitted) {
    return (
      <OnboardingProgress
        initialStatus={null}
        justSubmitted
        tier={submitted}
        stallAfterMs={stallAfterMs}
        stripePublishableKey={stripePublishableKey}
        plans={plans}
        trialDays={trialDays}
        supportEmail={supportEmail}
      />
    );
  }
  return (
    <>
      <PageTitle
        title="Choose your plan"
        lead="Your account is ready. Pick a plan and add a card to start your free trial."
      />
      <PaymentDetailsProvider publishableKey={stripePublishableKey}>
        <PlanAndCardForm
          plans={plans}
          trialDays={trialDays}
          initialTier={initialTier}
          onSubmitted={setSubmitted}
        />
      </PaymentDetailsProvider>
    </>
  );
}

function PlanAndCardForm({
  plans,
  trialDays,
  initialTier,
  onSubmitted,
}: {
  plans: PlanOption[];
  trialDays: number;
  initialTier: Tier;
  onSubmitted: (tier: Tier) => void;
}) {
  const [tier, setTier] = useState<Tier>(initialTier);
  const { submit, busy, cardError, error } = useCardSubmission(
    (confirmationToken) => submitPlanAndCard({ tier, confirmationToken }),
    () => onSubmitted(tier),
  );

  return (
    <Card>
      <form onSubmit={submit} noValidate aria-label="Choose your plan" className="space-y-6">
        {error && <Alert tone="error">{error}</Alert>}
        <PlanPicker
          plans={plans}
          trialDays={trialDays}
          value={tier}
          onChange={setTier}
          disabled={busy}
        />
        <CardField error={cardError} />
        <TermsConsent plan={plans.find((plan) => plan.tier === tier)} trialDays={trialDays} />
        <Button type="submit" busy={busy} className="w-full">
          {busy ? "Starting your trial…" : "Start free trial"}
        </Button>
      </form>
    </Card>
  );
}
