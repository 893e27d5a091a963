import { auth } from "@clerk/nextjs/server";
import type { Metadata } from "next";
import { connection } from "next/server";
import { ClerkNotConfigured } from "@/app/_components/clerk-not-configured";
import { SignOutButton } from "@/app/_components/sign-out-button";
import { Alert, Card, PageShell, PageTitle } from "@/app/_components/ui";
import { env } from "@/lib/env";
import { clerkConfigured } from "@/lib/vendors/clerk";
import { paths, safeRedirectPath } from "@/lib/routes";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ redirect_url?: string | string[] }>;
}) {
  await connection(); // server configuration is read per request, never baked in at build
  if (!clerkConfigured) return <ClerkNotConfigured page="Sign-in" />;
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
