import type { Metadata } from "next";
import { OrgSwitcher } from "@/app/_components/org-switcher";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, ButtonLink, Card, cx, PageShell, PageTitle } from "@/app/_components/ui";
import { signedInPage, type SignedInSession } from "@/app/_lib/pages";
import { billingAccount } from "@/lib/billing/account";
import { isTier, plans, trialDays } from "@/lib/billing/plans";
import { paths } from "@/lib/routes";
import { billingClient } from "@/lib/vendors/stripe";
import { ManageBillingButton } from "./manage-billing";

export const metadata: Metadata = { title: "Dashboard" };

const statusLabels: Record<string, { label: string; tone: string }> = {
  trialing: { label: "Free trial", tone: "bg-brand-50 text-brand-700 ring-brand-100" },
  active: { label: "Active", tone: "bg-emerald-50 text-emerald-800 ring-emerald-200" },
  past_due: { label: "Payment overdue", tone: "bg-amber-50 text-amber-900 ring-amber-200" },
  unpaid: { label: "Unpaid", tone: "bg-red-50 text-red-800 ring-red-200" },
  incomplete: { label: "Incomplete", tone: "bg-amber-50 text-amber-900 ring-amber-200" },
  incomplete_expired: { label: "Expired", tone: "bg-slate-100 text-slate-700 ring-slate-200" },
  canceled: { label: "Canceled", tone: "bg-slate-100 text-slate-700 ring-slate-200" },
  paused: { label: "Paused", tone: "bg-slate-100 text-slate-700 ring-slate-200" },
};

const dayMs = 24 * 60 * 60 * 1000;
const longDate = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });

function daysUntil(date: Date, now = new Date()): number {
  return Math.max(0, Math.ceil((date.getTime() - now.getTime()) / dayMs));
}

/** The plan as the session claims it, for the moment before the subscription reaches our table. */
function claimedTier(claims: unknown): string | null {
  const metadata = (claims as { metadata?: { tier?: unknown } } | null)?.metadata;
  return typeof metadata?.tier === "string" ? metadata.tier : null;
}

export default signedInPage("The dashboard", paths.dashboard, dashboard);

async function dashboard({ userId, orgId, sessionClaims }: SignedInSession) {
  const account = await billingAccount(userId);
  const tier = account?.tier ?? claimedTier(sessionClaims);
  const plan = isTier(tier) ? plans[tier] : null;
  const status = account?.subscriptionStatus ?? null;
  const billingEnabled = billingClient() !== null;
  const badge = status
    ? (statusLabels[status] ?? { label: status, tone: statusLabels.paused!.tone })
    : null;
  const trialEnd = status === "trialing" ? (account?.trialEndsAt ?? null) : null;
  const daysLeft = trialEnd ? daysUntil(trialEnd) : null;
  const trialLength = trialDays();

  return (
    <PageShell
      width="xl"
      actions={
        <>
          <OrgSwitcher />
          <SignOutButton />
        </>
      }
    >
      <PageTitle
        title="Dashboard"
        lead={account?.email ? `Signed in as ${account.email}` : "Welcome to onramp."}
      />
      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <div className="flex flex-wrap items-start justify-between gap-3">
            <div>
              <h2 className="text-sm font-medium text-slate-500">Your plan</h2>
              <p className="mt-1 text-2xl font-semibold text-slate-900">
                {plan ? plan.name : "No plan yet"}
              </p>
              {plan && (
                <p className="mt-1 text-sm text-slate-600">
                  {plan.monthlyPrice}/month · {plan.description}
                </p>
              )}
            </div>
            {badge && (
              <span
                data-testid="subscription-status"
                className={cx(
                  "rounded-full px-3 py-1 text-sm font-medium ring-1 ring-inset",
                  badge.tone,
                )}
              >
                {badge.label}
              </span>
            )}
          </div>

          {trialEnd && daysLeft !== null && (
            <div className="mt-6">
              <div className="flex justify-between text-sm">
                <span className="font-medium text-slate-900">
                  {daysLeft === 1 ? "1 day" : `${daysLeft} days`} left in your trial
                </span>
                <span className="text-slate-600">Ends {longDate.format(trialEnd)}</span>
              </div>
              <div
                role="progressbar"
                aria-label="Trial used"
                aria-valuemin={0}
                aria-valuemax={trialLength}
                aria-valuenow={Math.max(0, trialLength - daysLeft)}
                className="mt-2 h-2 overflow-hidden rounded-full bg-slate-100"
              >
                <div
                  className="h-full rounded-full bg-brand-600"
                  style={{
                    width: `${trialLength ? Math.min(100, ((trialLength - daysLeft) / trialLength) * 100) : 100}%`,
                  }}
                />
              </div>
              <p className="mt-3 text-sm text-slate-600">
                Your card will be charged {plan?.monthlyPrice ?? "the plan price"} on{" "}
                {longDate.format(trialEnd)} unless you cancel before then.
              </p>
            </div>
          )}

          {!status && billingEnabled && (
            <Alert tone="info" className="mt-6" title="Your subscription details are on their way">
              Stripe is confirming your subscription. Refresh this page in a moment.
            </Alert>
          )}
          {!billingEnabled && (
            <Alert tone="info" className="mt-6">
              Billing is not enabled on this server, so your account has full access without a
              subscription.
            </Alert>
          )}
        </Card>

        <Card>
          <h2 className="text-base font-semibold text-slate-900">Billing</h2>
          <p className="mt-1 mb-5 text-sm text-slate-600">
            Change your plan, update your card, download invoices or cancel, on Stripe&apos;s secure
            billing portal.
          </p>
          <ManageBillingButton disabled={!billingEnabled || !account?.stripeCustomerId} />
        </Card>

        <Card className="lg:col-span-3">
          <div className="flex flex-wrap items-center justify-between gap-4">
            <div>
              <h2 className="text-base font-semibold text-slate-900">Your team</h2>
              <p className="mt-1 text-sm text-slate-600">
                {orgId
                  ? "Buy seats for your organization and choose which members hold one."
                  : "Create an organization with the switcher above to buy seats for your team."}
              </p>
            </div>
            <ButtonLink href={paths.licensing} variant="secondary">
              Seats and licenses
            </ButtonLink>
          </div>
        </Card>
      </div>
    </PageShell>
  );
}
