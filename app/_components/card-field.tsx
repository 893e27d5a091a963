"use client";

import { Elements, PaymentElement, useElements, useStripe } from "@stripe/react-stripe-js";
import { loadStripe, type Stripe, type StripeElementsOptions } from "@stripe/stripe-js";
import { useCallback, useState, type ReactNode } from "react";
import { paths } from "@/lib/routes";
import { FieldError } from "./ui";

// One Stripe.js instance per key for the life of the page, as Stripe asks.
const stripes = new Map<string, Promise<Stripe | null>>();
function stripeFor(publishableKey: string) {
  let stripe = stripes.get(publishableKey);
  if (!stripe) {
    stripe = loadStripe(publishableKey);
    stripes.set(publishableKey, stripe);
  }
  return stripe;
}

// Deferred setup mode: the Payment Element collects a card before any SetupIntent exists; the
// browser turns it into a ConfirmationToken and the server confirms the SetupIntent with it.
const elementsOptions: StripeElementsOptions = {
  mode: "setup",
  currency: "usd",
  appearance: {
    theme: "stripe",
    variables: {
      colorPrimary: "#2c55db",
      colorDanger: "#b91c1c",
      borderRadius: "8px",
      fontFamily: "ui-sans-serif, system-ui, sans-serif",
    },
  },
};

export function PaymentDetailsProvider({
  publishableKey,
  children,
}: {
  publishableKey: string;
  children: ReactNode;
}) {
  return (
    <Elements stripe={stripeFor(publishableKey)} options={elementsOptions}>
      {children}
    </Elements>
  );
}

/** The card field: Stripe's Payment Element, labelled, with its error underneath. */
export function CardField({
  error,
  label = "Card",
  note = "Your card is saved with Stripe for when your trial ends. You won't be charged today.",
}: {
  error?: string | null;
  label?: string;
  /** What happens to the card, under the field. */
  note?: string;
}) {
  const [loading, setLoading] = useState(true);
  return (
    <div
      role="group"
      aria-labelledby="card-label"
      aria-describedby={error ? "card-error" : undefined}
    >
      <span id="card-label" className="mb-1.5 block text-sm font-medium text-slate-900">
        {label}
      </span>
      <div className="min-h-12 rounded-lg">
        {loading && (
          <div
            aria-hidden="true"
            className="h-12 animate-pulse rounded-lg bg-slate-100 motion-reduce:animate-none"
          />
        )}
        <PaymentElement
          onReady={() => setLoading(false)}
          onLoadError={() => setLoading(false)}
          options={{ layout: "tabs" }}
        />
      </div>
      <FieldError id="card-error">{error}</FieldError>
      <p className="mt-1.5 text-xs text-slate-500">{note}</p>
    </div>
  );
}

export type CollectedCard = { confirmationToken: string } | { error: string };

/**
 * Validates the card in the Payment Element and turns it into a Stripe ConfirmationToken, the
 * only thing about the card that leaves the browser. Errors come back as Stripe's own plain words.
 */
export function useCollectCard() {
  const stripe = useStripe();
  const elements = useElements();
  return useCallback(
    async (email: string | null): Promise<CollectedCard> => {
      if (!stripe || !elements) {
        return { error: "The card form is still loading. Try again in a moment." };
      }
      const submitted = await elements.submit();
      if (submitted.error) {
        return { error: submitted.error.message ?? "Check your card details." };
      }
      const { error, confirmationToken } = await stripe.createConfirmationToken({
        elements,
        params: {
          // A redirect-based check by the bank comes back to the progress page.
          return_url: new URL(paths.afterSignUp, window.location.origin).href,
          ...(email ? { payment_method_data: { billing_details: { email } } } : {}),
        },
      });
      if (error) {
        return { error: error.message ?? "Your card could not be saved. Try another card." };
      }
      return { confirmationToken: confirmationToken.id };
    },
    [stripe, elements],
  );
}
