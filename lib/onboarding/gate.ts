import { paths, signInReturningTo } from "@/lib/routes";

/**
 * Where a page request goes, given who is asking. proxy.ts asks this for every page it sees;
 * keeping the decision a pure function makes "no redirect loops" checkable: following the answer
 * once more always yields null.
 *
 * - signed out, or a pending session (Clerk treats it as signed out until its task is done):
 *   protected pages → /sign-in?redirect_url=…; the sign-in and sign-up pages stay reachable.
 * - signed in without `metadata.onboardingComplete` in the session claims: everything protected
 *   (/dashboard, /org, /projects) and the sign-in/up pages → /after-sign-up. Whether they should be on /onboarding instead (no
 *   run is waiting for them: they signed up without payment details) is decided by those pages
 *   from the onboarding status, not here: the session token cannot tell.
 * - onboarded: the sign-in/up and onboarding pages → /dashboard.
 */

export type Visitor =
  { kind: "signed-out" } | { kind: "pending" } | { kind: "signed-in"; onboardingComplete: boolean };

const authPages = [paths.signIn, paths.signUp];
const onboardingPages = [paths.afterSignUp, paths.onboarding];
const memberPages = [paths.dashboard, paths.organization, paths.projects];

const within = (pathname: string, roots: readonly string[]) =>
  roots.some((root) => pathname === root || pathname.startsWith(`${root}/`));

/** The path to redirect to (with its query), or null to let the request through. */
export function redirectFor(pathname: string, search: string, visitor: Visitor): string | null {
  const isAuthPage = within(pathname, authPages);
  const isOnboardingPage = within(pathname, onboardingPages);
  const isMemberPage = within(pathname, memberPages);

  if (visitor.kind !== "signed-in") {
    if (!isOnboardingPage && !isMemberPage) return null;
    return signInReturningTo(pathname + search);
  }
  if (visitor.onboardingComplete) {
    return isAuthPage || isOnboardingPage ? paths.dashboard : null;
  }
  return isAuthPage || isMemberPage ? paths.afterSignUp : null;
}

/** `metadata.onboardingComplete` from session claims shaped `{ metadata: {{user.public_metadata}} }`. */
export function onboardingCompleteIn(claims: unknown): boolean {
  if (typeof claims !== "object" || claims === null || !("metadata" in claims)) return false;
  const { metadata } = claims;
  return (
    typeof metadata === "object" &&
    metadata !== null &&
    "onboardingComplete" in metadata &&
    metadata.onboardingComplete === true
  );
}
