"use server";

import { revalidatePath } from "next/cache";
import { redirect } from "next/navigation";
import { z } from "zod";
import type { PaymentAnswer } from "@/app/_components/card-payment-form";
import { withUser, type ActionResult } from "@/app/_lib/actions";
import { billingAccount } from "@/lib/billing/account";
import type { CardChoice } from "@/lib/billing/card-choice";
import { payOverdue } from "@/lib/billing/overdue";
import { tiers } from "@/lib/billing/plans";
import { billingPortalUrl } from "@/lib/billing/portal";
import { resubscribe } from "@/lib/billing/resubscribe";
import { resumeSubscription } from "@/lib/billing/resume";
import { env } from "@/lib/env";
import { PermanentError } from "@/lib/errors";
import { logger } from "@/lib/logger";
import type { BankOutcome } from "@/lib/onboarding/bank-outcome";
import { paths } from "@/lib/routes";
import { billingClient } from "@/lib/vendors/stripe";

/**
 * "Manage billing": a Stripe Customer Portal session for the signed-in user's own customer.
 * useActionState hands it the previous state, which it does not read.
 */
export const openBillingPortal = withUser(z.unknown(), async (_, { userId }) => {
  const stripe = billingClient();
  if (!stripe) return { error: "Billing is not set up on this server." };
  const customerId = (await billingAccount(userId))?.stripeCustomerId;
  if (!customerId) {
    return { error: "Your billing account is still being set up. Try again in a minute." };
  }
  let url: string;
  try {
    url = await billingPortalUrl(stripe, customerId, new URL(paths.dashboard, env.APP_URL).href);
  } catch (error) {
    logger.error("Could not open the Stripe billing portal", { userId }, error);
    return { error: "Stripe's billing portal isn't available right now. Try again in a minute." };
  }
  redirect(url);
});

/**
 * Runs a billing change for the user: our refusals (PermanentError) are shown as they are; a
 * vendor's failure is logged and the user asked to try again.
 */
async function billingChange<R extends ActionResult>(
  userId: string,
  what: string,
  change: () => Promise<R>,
): Promise<R | ActionResult> {
  if (!billingClient()) return { error: "Billing is not set up on this server." };
  try {
    return await change();
  } catch (error) {
    if (error instanceof PermanentError) return { error: error.message };
    logger.error(`Could not ${what}`, { userId }, error);
    return {
      error: "Stripe isn't answering right now. Nothing was charged; try again in a minute.",
    };
  }
}

/** "Resume my plan": a plan cancelled at its period's end renews after all. */
export const resumePlan = withUser(z.unknown(), async (_, { userId }) =>
  billingChange(userId, "resume a plan", async () => {
    await resumeSubscription(userId);
    revalidatePath(paths.dashboard);
    return {};
  }),
);

/** A card, as the payment forms send it: saved, a new one's ConfirmationToken, or its SetupIntent. */
const cardChoice: z.ZodType<CardChoice> = z.union([
  z.object({ saved: z.literal(true) }),
  z.object({ confirmationToken: z.string().regex(/^ctoken_\w+$/, "That card could not be read.") }),
  z.object({ setupIntentId: z.string().regex(/^seti_\w+$/, "That card could not be read.") }),
]);

/** Subscribing again after a plan ended: the plan chosen, the card chosen, charged now. */
export const resubscribeToPlan = withUser(
  z.object({ tier: z.enum(tiers, { message: "Choose a plan." }), card: cardChoice }),
  async (input, { userId }): Promise<PaymentAnswer> =>
    billingChange(userId, "resubscribe", () => answer(resubscribe(userId, input))),
);

/** Paying an overdue renewal with a new card, or after the bank's check of the charge. */
export const payOverdueInvoice = withUser(
  z.union([z.object({ card: cardChoice }), z.object({ bankCheckDone: z.literal(true) })]),
  async (input, { userId }): Promise<PaymentAnswer> =>
    billingChange(userId, "pay an overdue invoice", () => answer(payOverdue(userId, input))),
);

/** A payment step as the form reads it: a refusal's reason becomes the form's error. */
async function answer(step: Promise<BankOutcome>): Promise<PaymentAnswer> {
  const result = await step;
  if (result.status === "failed") return { error: result.reason };
  if (result.status === "succeeded") revalidatePath(paths.dashboard);
  return result;
}
