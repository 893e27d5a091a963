import type { Metadata } from "next";
import type { ReactNode } from "react";
import { OrgSwitcher } from "@/app/_components/org-switcher";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, Card, cx, PageShell, PageTitle } from "@/app/_components/ui";
import { signedInPage, type SignedInSession } from "@/app/_lib/pages";
import { orgAdminRole } from "@/lib/orgs/access";
import { maxSeatsPerPurchase } from "@/lib/orgs/checkout";
import { LicensingError } from "@/lib/orgs/errors";
import { licensingOverview, type LicensingOverview } from "@/lib/orgs/licensing";
import { type SeatSummary } from "@/lib/orgs/seats";
import { paths } from "@/lib/routes";
import { BuySeatsForm, LicenseToggle, ManageSubscriptionButton } from "./licensing-forms";

export const metadata: Metadata = { title: "Seats and licenses" };

/**
 * Seats of the active organization. The page authorizes itself (the proxy is not relied on):
 * signed-out visitors go to sign-in, a user without an active organization picks one, members
 * see the seats and their own license, and only admins get the forms, whose actions check again.
 */
export default signedInPage("Organization licensing", paths.licensing, licensingPage);

async function licensingPage(
  session: SignedInSession,
  { searchParams }: { searchParams: Promise<{ checkout?: string | string[] }> },
) {
  const { checkout } = await searchParams;
  const header = (
    <>
      {session.orgId && <OrgSwitcher />}
      <SignOutButton />
    </>
  );

  if (!session.orgId) {
    return (
      <PageShell actions={header}>
        <PageTitle
          title="Seats and licenses"
          lead="Seats belong to an organization. Choose one of yours, or create one, to buy seats and license its members."
        />
        <Card>
          <OrgSwitcher />
        </Card>
      </PageShell>
    );
  }

  let overview: LicensingOverview;
  try {
    overview = await licensingOverview(session);
  } catch (error) {
    if (!(error instanceof LicensingError)) throw error;
    return (
      <PageShell actions={header}>
        <PageTitle title="Seats and licenses" />
        <Alert tone="error">{error.message}</Alert>
      </PageShell>
    );
  }

  const { actor, seats, members, selfLicensed, billingEnabled } = overview;
  return (
    <PageShell width="xl" actions={header}>
      <PageTitle
        title="Seats and licenses"
        lead={
          actor.isAdmin
            ? "Buy seats for your organization and choose which members hold one."
            : "The seats your organization has bought, and whether you hold one."
        }
      />
      <div className="space-y-6">
        {checkout === "success" && !seats.hasSubscription && (
          <Alert tone="info" title="Payment received">
            Stripe is confirming your subscription; the seats appear here in a moment. Refresh the
            page if they don&apos;t.
          </Alert>
        )}
        {checkout === "canceled" && !seats.hasSubscription && (
          <Alert tone="info">Checkout was canceled; nothing was charged.</Alert>
        )}
        <SeatCounts seats={seats} />
        <SubscriptionNotices seats={seats} isAdmin={actor.isAdmin} />
        <Card>
          <h2 className="text-base font-semibold text-slate-900">Your license</h2>
          <p data-testid="self-license" className="mt-1 text-sm text-slate-600">
            {selfLicensed
              ? "You hold a seat: the licensed features are yours to use."
              : "You don't hold a seat. An admin of this organization can assign you one."}
          </p>
          {!actor.isAdmin && (
            <p className="mt-3 text-sm text-slate-600">
              Only admins of this organization can buy seats, manage the subscription or change
              licenses.
            </p>
          )}
        </Card>
        {actor.isAdmin && !billingEnabled && (
          <Alert tone="info">
            Billing is not enabled on this server, so seats cannot be bought here.
          </Alert>
        )}
        {actor.isAdmin && billingEnabled && !seats.hasSubscription && (
          <Card>
            <h2 className="text-base font-semibold text-slate-900">Buy seats</h2>
            <p className="mt-1 mb-5 text-sm text-slate-600">
              One seat licenses one member. You pay through Stripe and can add or remove seats
              later.
            </p>
            <BuySeatsForm
              suggested={Math.min(maxSeatsPerPurchase, Math.max(1, members?.length ?? 1))}
              max={maxSeatsPerPurchase}
            />
          </Card>
        )}
        {actor.isAdmin && billingEnabled && seats.stripeCustomerId && seats.subscriptionStatus && (
          <Card>
            <h2 className="text-base font-semibold text-slate-900">Subscription</h2>
            <p className="mt-1 mb-5 text-sm text-slate-600">
              Change the number of seats, update the card, download invoices or cancel, on
              Stripe&apos;s billing portal.
            </p>
            <ManageSubscriptionButton />
          </Card>
        )}
        {members && (seats.hasSubscription || seats.assigned > 0) && (
          <MemberList members={members} />
        )}
      </div>
    </PageShell>
  );
}

function SeatCounts({ seats }: { seats: SeatSummary }) {
  const figures: { label: string; value: number; id: string; tone?: string }[] = [
    { label: "Purchased", value: seats.purchased, id: "seats-purchased" },
    {
      label: "Assigned",
      value: seats.assigned,
      id: "seats-assigned",
      tone: seats.overAssignedBy > 0 ? "text-amber-800" : undefined,
    },
    { label: "Free", value: seats.free, id: "seats-free" },
  ];
  return (
    <dl className="grid grid-cols-3 gap-4">
      {figures.map(({ label, value, id, tone }) => (
        <div key={id} className="rounded-2xl bg-white p-5 shadow-sm ring-1 ring-slate-200">
          <dt className="text-sm font-medium text-slate-500">{label}</dt>
          <dd data-testid={id} className={cx("mt-1 text-3xl font-semibold text-slate-900", tone)}>
            {value}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function SubscriptionNotices({ seats, isAdmin }: { seats: SeatSummary; isAdmin: boolean }) {
  const notices: ReactNode[] = [];
  if (seats.overAssignedBy > 0) {
    notices.push(
      <Alert key="over" tone="warning" title="More seats are assigned than paid for">
        {seats.assigned} members hold seats, but the subscription pays for {seats.purchased}. Nobody
        has lost their license.{" "}
        {isAdmin
          ? `Unlicense ${seats.overAssignedBy} ${seats.overAssignedBy === 1 ? "member" : "members"} below, or add seats with Manage subscription. No seat can be assigned until then.`
          : "An admin needs to resolve this."}
      </Alert>,
    );
  }
  if (seats.subscriptionStatus && !seats.paying) {
    notices.push(
      <Alert key="status" tone="warning" title="The subscription is not active">
        Its status in Stripe is “{seats.subscriptionStatus}”, so seats are not licensing anyone
        right now. {isAdmin ? "Buy seats again or fix the payment in Manage subscription." : ""}
      </Alert>,
    );
  } else if (seats.subscriptionStatus === "past_due") {
    notices.push(
      <Alert key="past-due" tone="warning" title="Payment overdue">
        Stripe could not collect the last payment and is retrying. Licenses stay active meanwhile.
      </Alert>,
    );
  }
  return notices.length > 0 ? <div className="space-y-3">{notices}</div> : null;
}

function MemberList({ members }: { members: NonNullable<LicensingOverview["members"]> }) {
  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">Members</h2>
      <ul className="mt-4 divide-y divide-slate-100" aria-label="Members">
        {members.map((member) => (
          <li
            key={member.userId}
            data-testid={`member-${member.userId}`}
            className="flex flex-wrap items-center justify-between gap-3 py-3"
          >
            <div className="min-w-0">
              <p className="truncate font-medium text-slate-900">{member.name}</p>
              <p className="truncate text-sm text-slate-600">
                {member.identifier !== member.name ? `${member.identifier} · ` : ""}
                {member.role === orgAdminRole ? "Admin" : "Member"}
                {member.licensed ? " · Licensed" : ""}
              </p>
            </div>
            <LicenseToggle
              userId={member.userId}
              name={member.name}
              licensed={member.licensed}
              synced={member.licensed === member.licensedInClerk}
            />
          </li>
        ))}
      </ul>
    </Card>
  );
}
