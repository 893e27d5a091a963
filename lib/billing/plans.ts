import { env } from "@/lib/env";

/**
 * The plan catalogue. The browser only ever names a tier key; the server maps it to a price here,
 * so `unsafeMetadata` can never choose a price, a trial length or anything else.
 */
export const plans = {
  pro: {
    name: "Pro",
    description: "For individuals and small teams getting started.",
    monthlyPrice: "$29",
    features: ["Unlimited projects", "Email support", "Daily backups"],
  },
  enterprise: {
    name: "Enterprise",
    description: "For organizations that need seats, SSO and priority support.",
    monthlyPrice: "$99",
    features: ["Everything in Pro", "Per-seat licensing", "Priority support"],
  },
} as const;

export type Tier = keyof typeof plans;
export const tiers = Object.keys(plans) as Tier[];

export function isTier(value: unknown): value is Tier {
  return typeof value === "string" && Object.hasOwn(plans, value);
}

/** The Stripe price behind a tier, from the server's configuration; undefined if not configured. */
export function priceFor(tier: Tier): string | undefined {
  return { pro: env.STRIPE_PRICE_PRO, enterprise: env.STRIPE_PRICE_ENTERPRISE }[tier];
}

/** The tier a price belongs to, if it is one of the catalogue's. */
export const tierOfPrice = (priceId: string) => tiers.find((tier) => priceFor(tier) === priceId);

/**
 * The per-seat price organizations buy seats on: STRIPE_PRICE_SEAT, or for configurations made
 * before it existed, the enterprise price.
 */
export const seatPrice = () => env.STRIPE_PRICE_SEAT ?? env.STRIPE_PRICE_ENTERPRISE;

export const trialDays = () => env.TRIAL_DAYS;
