"use server";

import { redirect } from "next/navigation";
import { z } from "zod";
import { withUser } from "@/app/_lib/actions";
import { billingAccount } from "@/lib/billing/account";
import { billingPortalUrl } from "@/lib/billing/portal";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
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
