"use client";

import { useState } from "react";
import { CardPaymentForm, type SavedCard } from "@/app/_components/card-payment-form";
import { PlanPicker, type PlanOption } from "@/app/_components/plan-picker";
import type { Tier } from "@/lib/billing/plans";
import { resubscribeToPlan } from "../actions";

/** A plan and a card, charged now: no free trial the second time. */
export function ResubscribeForm({
  plans,
  initialTier,
  savedCard,
}: {
  plans: PlanOption[];
  initialTier: Tier;
  savedCard: SavedCard | null;
}) {
  const [tier, setTier] = useState<Tier>(initialTier);
  const price = plans.find((plan) => plan.tier === tier)?.monthlyPrice ?? "";
  return (
    <CardPaymentForm
      label="Subscribe again"
      submitLabel={`Subscribe for ${price}/month`}
      savedCard={savedCard}
      cardNote="Your card is charged now, and then every month until you cancel."
      send={(input) =>
        // After the bank's check of the first charge, the card is the one it was made with.
        resubscribeToPlan({ tier, card: "card" in input ? input.card : { saved: true } })
      }
    >
      <PlanPicker plans={plans} trialDays={0} value={tier} onChange={setTier} />
    </CardPaymentForm>
  );
}
