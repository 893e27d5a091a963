import { auth } from "@clerk/nextjs/server";
import { redirect } from "next/navigation";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { ClerkNotConfigured } from "@/app/_components/clerk-not-configured";
import { signInReturningTo } from "@/lib/routes";
import { clerkConfigured } from "@/lib/vendors/clerk";

/**
 * How every page that needs Clerk begins: the server's configuration is read per request (never
 * baked in at build), and without Clerk keys the page explains how to configure Clerk instead.
 * `name` says which page it is in that explanation.
 */
export function clerkPage<Props>(name: string, render: (props: Props) => Promise<ReactNode>) {
  return async function ClerkPage(props: Props) {
    await connection();
    if (!clerkConfigured) return <ClerkNotConfigured page={name} />;
    return render(props);
  };
}

export type SignedInSession = Awaited<ReturnType<typeof auth>> & { userId: string };

/**
 * A page for the signed-in user, with Clerk's verified session. The page authorizes itself (the
 * proxy is not relied on): a signed-out visitor goes to sign-in, and back to `path` after it.
 */
export function signedInPage<Props>(
  name: string,
  path: string,
  render: (session: SignedInSession, props: Props) => Promise<ReactNode>,
) {
  return clerkPage(name, async (props: Props) => {
    const session = await auth();
    if (!session.userId) redirect(signInReturningTo(path));
    return render({ ...session, userId: session.userId }, props);
  });
}
