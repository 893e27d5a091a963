import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { OnboardingProgress } from "@/app/_components/progress/onboarding-progress";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { PageShell } from "@/app/_components/ui";
import { signedInPage } from "@/app/_lib/pages";
import { planOptions } from "@/app/_lib/plan-options";
import { stallThresholdMs } from "@/app/_lib/polling";
import { supportEmail } from "@/app/_lib/support";
import { isTier, trialDays } from "@/lib/billing/plans";
import { onboardingStatus } from "@/lib/onboarding/status";
import { latestChosenTier } from "@/lib/onboarding/submissions";
import { paths } from "@/lib/routes";
import { cardFieldPublishableKey } from "@/lib/vendors/stripe";

export const metadata: Metadata = { title: "Setting up your account" };

/**
 * Where proxy.ts sends every signed-in user who is not onboarded yet. A user the workflow is
 * waiting on for a plan and card (signed up without payment details) belongs on /onboarding;
 * the workflow says so in the status, which is the one place that knows.
 */
export default signedInPage(
  "Account setup",
  paths.afterSignUp,
  async (
    { userId },
    { searchParams }: { searchParams: Promise<{ stall?: string | string[] }> },
  ) => {
    const status = await onboardingStatus(userId);
    if (status.action?.type === "choose_plan") redirect(paths.onboarding);
    const { stall } = await searchParams;
    // A plan picked after a decline outlives a reload: the next new-card form names it.
    const latest = await latestChosenTier(userId);

    return (
      <PageShell actions={<SignOutButton />}>
        <OnboardingProgress
          initialStatus={status}
          stallAfterMs={stallThresholdMs(typeof stall === "string" ? stall : null)}
          stripePublishableKey={cardFieldPublishableKey()}
          plans={planOptions()}
          tier={isTier(latest) ? latest : undefined}
          trialDays={trialDays()}
          supportEmail={supportEmail()}
        />
      </PageShell>
    );
  },
);
