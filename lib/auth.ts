import type { ClerkMiddlewareOptions } from "@clerk/nextjs/server";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import { clerk, clerkConfigured } from "@/lib/vendors/clerk";

/**
 * Who is signed in. Sessions are verified without a network call with CLERK_JWT_KEY (Clerk does
 * not read the variable by itself, so it is passed explicitly), and tokens are only accepted when
 * minted for this app's origin (azp), so a token from another site on the same Clerk instance
 * does not sign anyone in here.
 */

/** What Clerk's `auth()` says about the verified session: what the domain modules are given. */
export interface SessionAuth {
  userId: string | null;
  orgId?: string | null;
  orgRole?: string | null;
}

const authorizedParties = () => [new URL(env.APP_URL).origin];

/**
 * The id of the user whose Clerk session signed this request, or null when it is signed out, or
 * its token is forged, expired or meant for another origin. The session comes from
 * `Authorization: Bearer <token>` or Clerk's `__session` cookie, never from anything else the
 * request says.
 */
export async function signedInUserId(request: Request): Promise<string | null> {
  // Without Clerk keys (zero-account dev) nobody can be signed in; Clerk would throw instead.
  if (!clerkConfigured) return null;
  const state = await clerk.authenticateRequest(request, {
    acceptsToken: "session_token",
    jwtKey: env.CLERK_JWT_KEY,
    authorizedParties: authorizedParties(),
  });
  // toAuth() treats a pending session (tasks left to do) as signed out.
  return state.isAuthenticated ? state.toAuth().userId : null;
}

/**
 * What clerkMiddleware needs, passed explicitly. The secret key is the one thing left to Clerk's
 * own reading of CLERK_SECRET_KEY: passed as an option, @clerk/nextjs 7.9 refuses to forward it to
 * auth() without a CLERK_ENCRYPTION_KEY (`encryption_key_missing`); read from the environment, it
 * needs none.
 */
export function clerkMiddlewareOptions(): ClerkMiddlewareOptions {
  return {
    publishableKey: env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
    jwtKey: env.CLERK_JWT_KEY,
    apiUrl: env.CLERK_API_URL,
    authorizedParties: authorizedParties(),
    // Demo mode's Clerk Frontend API (packages/standins/), where handshakes go; a real one is the key's.
    proxyUrl: env.ONRAMP_DEMO.includes("clerk") ? env.ONRAMP_DEMO_URL : undefined,
    signInUrl: paths.signIn,
    signUpUrl: paths.signUp,
  };
}
