"use client";

import { useClerk } from "@clerk/nextjs";
import { useStripe } from "@stripe/react-stripe-js";
import { useState, type FormEvent, type ReactNode } from "react";
import type { ActionResult } from "@/app/_lib/actions";
import type { CardChoice } from "@/lib/billing/card-choice";
import type { BankOutcome } from "@/lib/onboarding/bank-outcome";
import { paths } from "@/lib/routes";
import { CardField, useCollectCard } from "./card-field";
import { Alert, Button, cx } from "./ui";

/** What a payment action answers: a refusal as an error, else where the payment stands. */
export type PaymentAnswer = ActionResult & Partial<BankOutcome>;

/** What a payment form sends: a card, or word that the bank's check of the charge is done. */
export type PaymentInput = { card: CardChoice } | { bankCheckDone: true };

export interface SavedCard {
  brand: string;
  last4: string;
}

/**
 * Opens the dashboard once paid, with a session token minted afresh: its claims carry the plan
 * and status the pages read, which the payment has just changed.
 */
export function useOpenDashboard() {
  const clerk = useClerk();
  return async () => {
    await clerk.session?.getToken({ skipCache: true }).catch(() => null);
    window.location.assign(paths.dashboard);
  };
}

/**
 * Paying from the dashboard with a card: the one on file or a new one. When the bank asks
 * (3-D Secure, of saving the new card or of the charge), Stripe.js shows its check and the server
 * is asked again. Once paid, the session token is minted afresh (its claims carry the plan the
 * pages read) and the dashboard opens. Inside a PaymentDetailsProvider.
 */
export function CardPaymentForm({
  label,
  submitLabel,
  savedCard,
  cardNote,
  children,
  send,
}: {
  /** The form's accessible name. */
  label: string;
  submitLabel: string;
  /** What happens to a new card, under its field. */
  cardNote: string;
  savedCard: SavedCard | null;
  /** Fields above the card (a plan picker). */
  children?: ReactNode;
  send: (input: PaymentInput) => Promise<PaymentAnswer>;
}) {
  const stripe = useStripe();
  const openDashboard = useOpenDashboard();
  const collectCard = useCollectCard();
  const [useSaved, setUseSaved] = useState(savedCard !== null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [cardError, setCardError] = useState<string | null>(null);
  const [paid, setPaid] = useState(false);

  /** Sends, passing the bank's checks it asks for, until paid or refused. */
  async function pay(input: PaymentInput) {
    let answer = await send(input);
    while (answer.status === "requires_action" && answer.clientSecret && stripe) {
      const clientSecret = answer.clientSecret;
      const checked = await stripe.handleNextAction({ clientSecret });
      if (checked.error) {
        setError(checked.error.message ?? "Your bank did not confirm the payment.");
        return;
      }
      // The client secret names the intent: a SetupIntent saved a new card, a PaymentIntent charged.
      answer = await send(
        clientSecret.startsWith("seti_")
          ? { card: { setupIntentId: clientSecret.split("_secret_")[0]! } }
          : { bankCheckDone: true },
      );
    }
    if (answer.error) {
      setError(answer.error);
      return;
    }
    setPaid(true);
    await openDashboard();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    setCardError(null);
    try {
      if (useSaved) return await pay({ card: { saved: true } });
      const card = await collectCard(null);
      if ("error" in card) return setCardError(card.error);
      await pay({ card: { confirmationToken: card.confirmationToken } });
    } finally {
      setBusy(false);
    }
  }

  if (paid) {
    return (
      <Alert tone="success" title="Payment received">
        Opening your dashboard…
      </Alert>
    );
  }
  return (
    <form onSubmit={submit} noValidate aria-label={label} className="space-y-6">
      {error && <Alert tone="error">{error}</Alert>}
      {children}
      {savedCard && (
        <fieldset disabled={busy} className="space-y-2">
          <legend className="mb-1.5 text-sm font-medium text-slate-900">Pay with</legend>
          {[
            { saved: true, text: `Your ${savedCard.brand} card ending in ${savedCard.last4}` },
            { saved: false, text: "A new card" },
          ].map((option) => (
            <label
              key={String(option.saved)}
              className={cx(
                "flex cursor-pointer items-center gap-3 rounded-lg bg-white px-4 py-3 text-sm ring-1",
                useSaved === option.saved ? "ring-2 ring-brand-600" : "ring-slate-300",
              )}
            >
              <input
                type="radio"
                name="card"
                checked={useSaved === option.saved}
                onChange={() => setUseSaved(option.saved)}
              />
              {option.text}
            </label>
          ))}
        </fieldset>
      )}
      {!useSaved && <CardField error={cardError} note={cardNote} />}
      <Button type="submit" busy={busy} disabled={!stripe} className="w-full sm:w-auto">
        {submitLabel}
      </Button>
    </form>
  );
}
