import type { ClerkMiddlewareOptions } from "@clerk/nextjs/server";
import { env } from "@/lib/env";
import { paths } from "@/lib/onboarding/gate";

/**
 * Whether sign-in can work at all. Without Clerk keys (the zero-account `npm run dev`) the proxy
 * lets every request through and the pages that need a user explain how to configure Clerk.
 */
export const clerkConfigured = Boolean(
  env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY && env.CLERK_SECRET_KEY,
);

/** The Clerk variables sign-in still needs, by name (never their values). */
export function missingClerkVariables(): string[] {
  return [
    !env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY && "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY",
    !env.CLERK_SECRET_KEY && "CLERK_SECRET_KEY",
  ].filter((name): name is string => Boolean(name));
}

/**
 * What clerkMiddleware needs, passed explicitly: @clerk/nextjs does not read CLERK_JWT_KEY
 * itself, and with the key sessions are verified without a network call. Tokens are only accepted
 * when minted for this app's origin (azp), so a token from another site on the same Clerk
 * instance does not sign anyone in here.
 *
 * The secret key is the one thing left to Clerk's own reading of CLERK_SECRET_KEY: passed as an
 * option, @clerk/nextjs 7.9 refuses to forward it to auth() without a CLERK_ENCRYPTION_KEY
 * (`encryption_key_missing`); read from the environment, it needs none.
 */
export function clerkMiddlewareOptions(): ClerkMiddlewareOptions {
  return {
    publishableKey: env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
    jwtKey: env.CLERK_JWT_KEY,
    apiUrl: env.CLERK_API_URL,
    authorizedParties: [new URL(env.APP_URL).origin],
    signInUrl: paths.signIn,
    signUpUrl: paths.signUp,
  };
}
