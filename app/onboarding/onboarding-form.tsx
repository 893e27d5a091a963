"use client";

import { useState, type FormEvent } from "react";
import { CardField, PaymentDetailsProvider, useCollectCard } from "@/app/_components/card-field";
import { PlanPicker, type PlanOption } from "@/app/_components/plan-picker";
import { OnboardingProgress } from "@/app/_components/progress/onboarding-progress";
import { Alert, Button, Card, PageTitle } from "@/app/_components/ui";
import type { Tier } from "@/lib/billing/plans";
import { submitPlanAndCard } from "./actions";

interface Props {
  plans: PlanOption[];
  trialDays: number;
  initialTier: Tier;
  stripePublishableKey: string;
  stallAfterMs: number;
  supportEmail: string;
}

/** Plan and card for a user who has an account but no payment details; then the same progress. */
export function OnboardingForm(props: Props) {
  const [submitted, setSubmitted] = useState<Tier | null>(null);
  if (submitted) {
    return (
      <OnboardingProgress
        initialStatus={null}
        justSubmitted
        tier={submitted}
        stallAfterMs={props.stallAfterMs}
        stripePublishableKey={props.stripePublishableKey}
        plans={props.plans}
        trialDays={props.trialDays}
        supportEmail={props.supportEmail}
      />
    );
  }
  return (
    <>
      <PageTitle
        title="Choose your plan"
        lead="Your account is ready. Pick a plan and add a card to start your free trial."
      />
      <PaymentDetailsProvider publishableKey={props.stripePublishableKey}>
        <PlanAndCardForm {...props} onSubmitted={setSubmitted} />
      </PaymentDetailsProvider>
    </>
  );
}

function PlanAndCardForm({
  plans,
  trialDays,
  initialTier,
  onSubmitted,
}: Props & { onSubmitted: (tier: Tier) => void }) {
  const collectCard = useCollectCard();
  const [tier, setTier] = useState<Tier>(initialTier);
  const [busy, setBusy] = useState(false);
  const [cardError, setCardError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setCardError(null);
    setError(null);
    try {
      const card = await collectCard(null);
      if ("error" in card) {
        setCardError(card.error);
        return;
      }
      const result = await submitPlanAndCard({ tier, confirmationToken: card.confirmationToken });
      if (result.error) {
        setError(result.error);
        return;
      }
      onSubmitted(tier);
    } finally {
      setBusy(false);
    }
  }

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
        <Button type="submit" busy={busy} className="w-full">
          {busy ? "Starting your trial…" : "Start free trial"}
        </Button>
      </form>
    </Card>
  );
}
