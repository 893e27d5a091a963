import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { PaymentDetailsProvider } from "@/app/_components/card-field";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { ButtonLink, Card, PageShell, PageTitle } from "@/app/_components/ui";
import { signedInPage } from "@/app/_lib/pages";
import { planOptions } from "@/app/_lib/plan-options";
import { billingAccount } from "@/lib/billing/account";
import { savedCardSummary } from "@/lib/billing/card-choice";
import { entitlementsFor } from "@/lib/billing/entitlements";
import { isTier } from "@/lib/billing/plans";
import { paths } from "@/lib/routes";
import { billingClient, cardFieldPublishableKey } from "@/lib/vendors/stripe";
import { ResubscribeForm } from "./resubscribe-form";

export const metadata: Metadata = { title: "Subscribe again" };

/**
 * Coming back after a plan ended: a plan, the card on file or a new one, charged today (the free
 * trial was the first time). On the same billing account, so past invoices stay together. Anyone
 * whose plan still runs goes to the dashboard.
 */
export default signedInPage("Subscribe again", paths.resubscribe, async ({ userId }) => {
  const account = await billingAccount(userId);
  const stripe = billingClient();
  const publishableKey = cardFieldPublishableKey();
  const standing = entitlementsFor(
    { tier: account?.tier ?? null, subscriptionStatus: account?.subscriptionStatus ?? null },
    stripe !== null,
  ).standing;
  if (!stripe || !publishableKey || !account?.stripeCustomerId || standing !== "ended") {
    redirect(paths.dashboard);
  }
  const savedCard = await savedCardSummary(stripe, account.stripeCustomerId);

  return (
    <PageShell width="lg" actions={<SignOutButton />}>
      <PageTitle
        title="Subscribe again"
        lead="Welcome back. Pick a plan; your projects and settings are where you left them."
      />
      <Card>
        <PaymentDetailsProvider publishableKey={publishableKey}>
          <ResubscribeForm
            plans={planOptions()}
            initialTier={isTier(account.tier) ? account.tier : "pro"}
            savedCard={savedCard}
          />
        </PaymentDetailsProvider>
      </Card>
      <ButtonLink href={paths.dashboard} variant="ghost" className="mt-4">
        ← Back to the dashboard
      </ButtonLink>
    </PageShell>
  );
});
