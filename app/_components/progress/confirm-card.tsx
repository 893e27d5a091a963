"use client";

import { useStripe } from "@stripe/react-stripe-js";
import { useState } from "react";
import { reportCardConfirmation } from "@/app/_lib/onboarding-actions";
import { Alert, Button, Card, Spinner } from "../ui";

/**
 * 3-D Secure: Stripe.js shows the bank's check, then the run is told to look at the intent (the
 * SetupIntent saving the card, or the PaymentIntent paying the first invoice).
 */
export function ConfirmCard({
  clientSecret,
  onDone,
}: {
  clientSecret: string;
  onDone: () => void;
}) {
  const stripe = useStripe();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);

  if (sent === clientSecret) {
    return (
      <Alert tone="info">
        <span className="flex items-center gap-2">
          <Spinner className="size-4" /> Thanks. Checking with your bank…
        </span>
      </Alert>
    );
  }

  async function confirm() {
    if (!stripe || busy) return;
    setBusy(true);
    setError(null);
    const result = await stripe.handleNextAction({ clientSecret });
    // Told either way: on a failed check the run finds the card refused and asks for another.
    // The client secret is "<intent id>_secret_…": the run waits on that intent.
    const reported = await reportCardConfirmation({
      intentId: clientSecret.split("_secret_")[0]!,
    });
    setBusy(false);
    if (reported.error) {
      setError(reported.error);
      return;
    }
    if (result.error) setError(result.error.message ?? "Your bank did not confirm the card.");
    else setSent(clientSecret);
    onDone();
  }

  return (
    <Card className="space-y-4">
      <p className="text-sm text-slate-700">
        A window from your bank will open. Approve the request there, then come back here.
      </p>
      {error && <Alert tone="error">{error}</Alert>}
      <Button onClick={confirm} busy={busy} disabled={!stripe}>
        Confirm with my bank
      </Button>
    </Card>
  );
}
