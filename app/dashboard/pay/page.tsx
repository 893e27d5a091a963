import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { PaymentDetailsProvider } from "@/app/_components/card-field";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, ButtonLink, Card, PageShell, PageTitle } from "@/app/_components/ui";
import { signedInPage } from "@/app/_lib/pages";
import { overdueInvoice } from "@/lib/billing/overdue";
import { paths } from "@/lib/routes";
import { cardFieldPublishableKey } from "@/lib/vendors/stripe";
import { PayOverdueForm } from "./pay-overdue-form";

export const metadata: Metadata = { title: "Pay your invoice" };

/**
 * The past-due banner's one click: the unpaid renewal, paid here with another card, or confirmed
 * with the bank when that is what it waits for. Stripe's own page for the invoice is offered too.
 * With nothing overdue, the dashboard.
 */
export default signedInPage("Pay your invoice", paths.payOverdue, async ({ userId }) => {
  const publishableKey = cardFieldPublishableKey();
  const invoice = publishableKey ? await overdueInvoice(userId) : null;
  if (!publishableKey || !invoice) redirect(paths.dashboard);

  return (
    <PageShell width="lg" actions={<SignOutButton />}>
      <PageTitle
        title="Pay your invoice"
        lead={`This month's ${invoice.amount} is still due. You keep full access while you sort it out.`}
      />
      <Card className="space-y-6">
        <PaymentDetailsProvider publishableKey={publishableKey}>
          <PayOverdueForm amount={invoice.amount} awaitingBank={invoice.awaitingBank} />
        </PaymentDetailsProvider>
        {invoice.invoiceUrl && (
          <Alert tone="info">
            Or pay on{" "}
            <a href={invoice.invoiceUrl} className="font-semibold underline">
              Stripe&apos;s page for this invoice
            </a>
            .
          </Alert>
        )}
      </Card>
      <ButtonLink href={paths.dashboard} variant="ghost" className="mt-4">
        ← Back to the dashboard
      </ButtonLink>
    </PageShell>
  );
});
