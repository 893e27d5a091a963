import type { Metadata } from "next";
import { Alert, Card, PageShell, PageTitle } from "@/app/_components/ui";
import { unsubscribingUser } from "@/lib/email/unsubscribe";
import { UnsubscribeForm } from "./unsubscribe-form";

export const metadata: Metadata = { title: "Unsubscribe" };

/**
 * Where every email's unsubscribe link leads. It asks before acting, so a mail scanner that
 * follows links unsubscribes nobody; no sign-in needed, the link's token names the user.
 */
export default async function UnsubscribePage({
  searchParams,
}: {
  searchParams: Promise<{ user?: string | string[]; token?: string | string[] }>;
}) {
  const { user, token } = await searchParams;
  const valid = unsubscribingUser({ user, token }) !== null;
  return (
    <PageShell>
      <PageTitle title="Unsubscribe from onramp's emails" />
      {valid ? (
        <Card className="space-y-4">
          <p className="text-sm text-slate-700">
            You will get no more emails from us: no trial reminders, and no notes about payments.
            Your dashboard still shows anything that needs you, such as a payment to fix.
          </p>
          <UnsubscribeForm user={String(user)} token={String(token)} />
        </Card>
      ) : (
        <Alert tone="error" title="This unsubscribe link is not valid">
          Use the link from the most recent email we sent you.
        </Alert>
      )}
    </PageShell>
  );
}
