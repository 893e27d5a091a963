"use client";

import { useState } from "react";
import { submitNewCard } from "@/app/_lib/onboarding-actions";
import type { Tier } from "@/lib/billing/plans";
import { CardField } from "../card-field";
import { PlanPicker, type PlanOption } from "../plan-picker";
import { Alert, Button, Card, Spinner } from "../ui";
import { useCardSubmission } from "../use-card-submission";

/**
 * After a decline: another card, and another plan if the user wants one, continue the same run;
 * no need to start over. The plan is the one the user chose last (`tier`, kept by the page across
 * declines); without one known here, the server uses the newest it stored, else sign-up's.
 */
export function NewCardForm({
  plans,
  trialDays,
  tier: chosenTier,
  onPlanChange,
  onSubmitted,
}: {
  plans: PlanOption[];
  trialDays: number;
  /** The plan the user chose last, if the page knows it. */
  tier?: Tier;
  /** The user picked another plan: the page keeps it for the next form. */
  onPlanChange: (tier: Tier) => void;
  onSubmitted: () => void;
}) {
  const [tier, setTier] = useState<Tier | undefined>(chosenTier);
  const [askPlan, setAskPlan] = useState(false);
  const [sent, setSent] = useState(false);
  const pick = (next: Tier) => {
    setTier(next);
    onPlanChange(next);
  };
  const choosePlan = () => {
    setAskPlan(true);
    if (!tier && plans[0]) pick(plans[0].tier);
  };
  const planName = plans.find((plan) => plan.tier === tier)?.name;
  const { submit, busy, cardError, error } = useCardSubmission(
    async (confirmationToken) => {
      const result = await submitNewCard({ confirmationToken, tier });
      if (result.needsPlan) choosePlan();
      return result;
    },
    () => {
      setSent(true);
      onSubmitted();
    },
  );

  if (sent) {
    return (
      <Alert tone="info">
        <span className="flex items-center gap-2">
          <Spinner className="size-4" /> Trying your new card…
        </span>
      </Alert>
    );
  }

  return (
    <Card>
      <form onSubmit={submit} noValidate className="space-y-5" aria-label="Use another card">
        <h2 className="text-base font-semibold text-slate-900">Use another card</h2>
        {error && <Alert tone="error">{error}</Alert>}
        {askPlan && tier ? (
          <PlanPicker plans={plans} trialDays={trialDays} value={tier} onChange={pick} />
        ) : (
          <p className="text-sm text-slate-600">
            {planName ? `Your plan stays ${planName}.` : "Your plan stays the same."}{" "}
            <button
              type="button"
              onClick={choosePlan}
              className="font-medium text-brand-700 underline hover:text-brand-600"
            >
              Choose another plan
            </button>
          </p>
        )}
        <CardField error={cardError} label="New card" />
        <Button type="submit" busy={busy}>
          {busy ? "Saving…" : "Save card and continue"}
        </Button>
      </form>
    </Card>
  );
}
