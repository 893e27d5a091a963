import type { Metadata } from "next";
import { connection } from "next/server";
import { ClerkNotConfigured } from "@/app/_components/clerk-not-configured";
import { PageShell, PageTitle } from "@/app/_components/ui";
import { planOptions } from "@/app/_lib/plan-options";
import { isTier, trialDays } from "@/lib/billing/plans";
import { clerkConfigured } from "@/lib/vendors/clerk";
import { cardFieldKey } from "@/app/_lib/billing-config";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Start your free trial" };

export default async function SignUpPage({
  searchParams,
}: {
  searchParams: Promise<{ plan?: string | string[] }>;
}) {
  await connection(); // server configuration is read per request, never baked in at build
  if (!clerkConfigured) return <ClerkNotConfigured page="Sign-up" />;
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
        stripePublishableKey={cardFieldKey()}
      />
    </PageShell>
  );
}
