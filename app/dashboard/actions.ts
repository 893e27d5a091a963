"use server";

import { auth } from "@clerk/nextjs/server";
import { redirect } from "next/navigation";
import { billingAccount } from "@/lib/billing/account";
import { billingPortalUrl } from "@/lib/billing/portal";
import { env } from "@/lib/env";
import { logger } from "@/lib/logger";
import { paths } from "@/lib/routes";
import { stripe } from "@/lib/vendors/stripe";

export interface PortalState {
  error?: string;
}

/** "Manage billing": a Stripe Customer Portal session for the signed-in user's own customer. */
export async function openBillingPortal(): Promise<PortalState> {
  const { userId } = await auth();
  if (!userId) redirect(paths.signIn);
  if (!stripe) return { error: "Billing is not set up on this server." };
  const customerId = (await billingAccount(userId))?.stripeCustomerId;
  if (!customerId) {
    return { error: "Your billing account is still being set up. Try again in a minute." };
  }
  let url: string;
  try {
    url = await billingPortalUrl(customerId, new URL(paths.dashboard, env.APP_URL).href);
  } catch (error) {
    logger.error("Could not open the Stripe billing portal", { userId }, error);
    return { error: "Stripe's billing portal isn't available right now. Try again in a minute." };
  }
  redirect(url);
}
