import { auth } from "@clerk/nextjs/server";
import type { Metadata } from "next";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, Card, PageShell, PageTitle } from "@/app/_components/ui";
import { clerkPage } from "@/app/_lib/pages";
import { env } from "@/lib/env";
import { paths, safeRedirectPath } from "@/lib/routes";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default clerkPage("Sign-in", signInPage);

async function signInPage({
  searchParams,
}: {
  searchParams: Promise<{ redirect_url?: string | string[] }>;
}) {
  const { redirect_url } = await searchParams;
  const redirectTo = safeRedirectPath(
    typeof redirect_url === "string" ? redirect_url : null,
    paths.dashboard,
    env.APP_URL,
  );

  // A pending session (Clerk has a task for it, such as choosing an organization) counts as
  // signed out everywhere else; proxy.ts sends it here and leaves it here, so it never loops.
  const { sessionStatus } = await auth({ treatPendingAsSignedOut: false });
  if (sessionStatus === "pending") {
    return (
      <PageShell width="sm">
        <PageTitle title="Almost signed in" />
        <Card className="space-y-5">
          <Alert tone="warning" title="Your sign-in has a step left">
            Your account needs one more step before you can use onramp (for example, choosing an
            organization). Sign out and sign in again to finish it, or contact your administrator.
          </Alert>
          <SignOutButton variant="secondary" />
        </Card>
      </PageShell>
    );
  }

  return (
    <PageShell width="sm">
      <PageTitle title="Sign in" lead="We'll email you a code. No password needed." />
      <SignInForm redirectTo={redirectTo} />
    </PageShell>
  );
}
