"use client";

import { useStripe } from "@stripe/react-stripe-js";
import { useState } from "react";
import { CardPaymentForm, useOpenDashboard } from "@/app/_components/card-payment-form";
import { Alert, Button } from "@/app/_components/ui";
import { payOverdueInvoice } from "../actions";

/**
 * An overdue renewal: paid with a new card, or, when the charge waits for the bank (3-D Secure),
 * confirmed with it first.
 */
export function PayOverdueForm({
  amount,
  awaitingBank,
}: {
  amount: string;
  awaitingBank: string | null;
}) {
  const stripe = useStripe();
  const openDashboard = useOpenDashboard();
  const [checking, setChecking] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function confirmWithBank() {
    if (!stripe || !awaitingBank) return;
    setChecking(true);
    setError(null);
    const checked = await stripe.handleNextAction({ clientSecret: awaitingBank });
    const answer = await payOverdueInvoice({ bankCheckDone: true });
    setChecking(false);
    if (checked.error || answer.error) {
      setError(answer.error ?? checked.error?.message ?? "Your bank did not confirm the payment.");
      return;
    }
    await openDashboard();
  }

  return (
    <div className="space-y-6">
      {awaitingBank && (
        <div className="space-y-3">
          <p className="text-sm text-slate-700">
            Your bank wants to confirm the payment of {amount} on your card. A window from your bank
            opens; approve it there.
          </p>
          {error && <Alert tone="error">{error}</Alert>}
          <Button onClick={confirmWithBank} busy={checking} disabled={!stripe}>
            Confirm with my bank
          </Button>
          <p className="text-sm text-slate-600">Or pay with another card:</p>
        </div>
      )}
      <CardPaymentForm
        label="Pay with another card"
        submitLabel={`Pay ${amount}`}
        savedCard={null}
        cardNote="Your card is charged now, and your next renewals use it."
        send={(input) => payOverdueInvoice(input)}
      />
    </div>
  );
}
