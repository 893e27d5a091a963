import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, PageShell, PageTitle } from "@/app/_components/ui";
import { signedInPage } from "@/app/_lib/pages";
import { planOptions } from "@/app/_lib/plan-options";
import { stallThresholdMs } from "@/app/_lib/polling";
import { supportEmail } from "@/app/_lib/support";
import { isTier, trialDays } from "@/lib/billing/plans";
import { onboardingStatus } from "@/lib/onboarding/status";
import { paths } from "@/lib/routes";
import { cardFieldPublishableKey } from "@/lib/vendors/stripe";
import { OnboardingForm } from "./onboarding-form";

export const metadata: Metadata = { title: "Choose your plan" };

/**
 * For users who signed up without payment details (a social sign-in, say): the provisioning run
 * waits for a plan and a card, which this page sends as `app/onboarding.submitted`. Anyone the run
 * is not waiting for goes to the progress page instead.
 */
export default signedInPage(
  "Onboarding",
  paths.onboarding,
  async (
    { userId },
    {
      searchParams,
    }: { searchParams: Promise<{ plan?: string | string[]; stall?: string | string[] }> },
  ) => {
    const status = await onboardingStatus(userId);
    if (status.action?.type !== "choose_plan") redirect(paths.afterSignUp);
    const { plan, stall } = await searchParams;
    const stripePublishableKey = cardFieldPublishableKey();

    return (
      <PageShell width="lg" actions={<SignOutButton />}>
        {stripePublishableKey ? (
          <OnboardingForm
            plans={planOptions()}
            trialDays={trialDays()}
            initialTier={isTier(plan) ? plan : "pro"}
            stripePublishableKey={stripePublishableKey}
            stallAfterMs={stallThresholdMs(typeof stall === "string" ? stall : null)}
            supportEmail={supportEmail()}
          />
        ) : (
          <>
            <PageTitle title="Choose your plan" />
            <Alert tone="error" title="Payments are not set up on this server">
              The card form needs NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY. Please contact{" "}
              {supportEmail()}.
            </Alert>
          </>
        )}
      </PageShell>
    );
  },
);
