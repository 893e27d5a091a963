import type { Metadata } from "next";
import { PageShell, PageTitle } from "@/app/_components/ui";
import { clerkPage } from "@/app/_lib/pages";
import { planOptions } from "@/app/_lib/plan-options";
import { isTier, trialDays } from "@/lib/billing/plans";
import { cardFieldPublishableKey } from "@/lib/vendors/stripe";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Start your free trial" };

export default clerkPage("Sign-up", signUpPage);

async function signUpPage({
  searchParams,
}: {
  searchParams: Promise<{ plan?: string | string[] }>;
}) {
  const { plan } = await searchParams;
  const days = trialDays();
  return (
    <PageShell width="lg">
      <PageTitle
        title="Start your free trial"
        lead={
          days > 0
            ? `${days} days free on any plan. We'll set everything up while you check your email.`
            : "We'll set everything up while you check your email."
        }
      />
      <SignUpForm
        plans={planOptions()}
        trialDays={days}
        initialTier={isTier(plan) ? plan : "pro"}
        stripePublishableKey={cardFieldPublishableKey()}
      />
    </PageShell>
  );
}
