import { env } from "@/lib/env";

/**
 * The Stripe publishable key for the card field, or null when billing is off on this server (no
 * STRIPE_SECRET_KEY): the workflow then onboards without a subscription, so no card is asked for.
 */
export function cardFieldKey(): string | null {
  return env.STRIPE_SECRET_KEY ? (env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY ?? null) : null;
}
