"use client";

import { PaymentDetailsProvider } from "../card-field";
import { ProgressView, type ProgressViewProps } from "./progress-view";

/**
 * The progress of the signed-in user's setup, with Stripe's Elements around it when billing is
 * on (a new card or the bank's check may be needed). Null key: billing is off on this server.
 */
export function OnboardingProgress({
  stripePublishableKey,
  ...view
}: Omit<ProgressViewProps, "billing"> & { stripePublishableKey: string | null }) {
  if (!stripePublishableKey) return <ProgressView billing={false} {...view} />;
  return (
    <PaymentDetailsProvider publishableKey={stripePublishableKey}>
      <ProgressView billing {...view} />
    </PaymentDetailsProvider>
  );
}
