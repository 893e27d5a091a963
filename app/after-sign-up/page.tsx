import { auth } from "@clerk/nextjs/server";
import type { Metadata } from "next";
import { connection } from "next/server";
import { redirect } from "next/navigation";
import { ClerkNotConfigured } from "@/app/_components/clerk-not-configured";
import { OnboardingProgress } from "@/app/_components/progress/onboarding-progress";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { PageShell } from "@/app/_components/ui";
import { cardFieldKey } from "@/app/_lib/billing-config";
import { planOptions } from "@/app/_lib/plan-options";
import { stallThresholdMs } from "@/app/_lib/polling";
import { supportEmail } from "@/app/_lib/support";
import { trialDays } from "@/lib/billing/plans";
import { clerkConfigured } from "@/lib/vendors/clerk";
import { paths } from "@/lib/routes";
import { onboardingStatus } from "@/lib/onboarding/status";

export const metadata: Metadata = { title: "Setting up your account" };

/**
 * Where proxy.ts sends every signed-in user who is not onboarded yet. A user the workflow is
 * waiting on for a plan and card (signed up without payment details) belongs on /onboarding;
 * the workflow says so in the status, which is the one place that knows.
 */
export default async function AfterSignUpPage({
  searchParams,
}: {
  searchParams: Promise<{ stall?: string | string[] }>;
}) {
  await connection(); // server configuration is read per request, never baked in at build
  if (!clerkConfigured) return <ClerkNotConfigured page="Account setup" />;
  const { userId } = await auth();
  if (!userId) redirect(paths.signIn);
  const status = await onboardingStatus(userId);
  if (status.action?.type === "choose_plan") redirect(paths.onboarding);
  const { stall } = await searchParams;

  return (
    <PageShell actions={<SignOutButton />}>
      <OnboardingProgress
        initialStatus={status}
        stallAfterMs={stallThresholdMs(typeof stall === "string" ? stall : null)}
        stripePublishableKey={cardFieldKey()}
        plans={planOptions()}
        trialDays={trialDays()}
        supportEmail={supportEmail()}
      />
    </PageShell>
  );
}
