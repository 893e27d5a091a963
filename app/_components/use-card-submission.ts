"use client";

import { useState, type FormEvent } from "react";
import { useCollectCard } from "./card-field";

/**
 * Submitting a card form: the card in Stripe's Payment Element becomes a ConfirmationToken, which
 * `send` passes on (with whatever else the form chose). A double submit sends once; the card's
 * own errors and the server's answer are kept apart, for the field and for the form.
 */
export function useCardSubmission<Result extends { error?: string }>(
  send: (confirmationToken: string) => Promise<Result>,
  onSent: (result: Result) => void,
) {
  const collectCard = useCollectCard();
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
      const result = await send(card.confirmationToken);
      if (result.error) {
        setError(result.error);
        return;
      }
      onSent(result);
    } finally {
      setBusy(false);
    }
  }

  return { submit, busy, cardError, error };
}
