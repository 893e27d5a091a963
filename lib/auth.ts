import { clerk } from "@/lib/clerk";
import { clerkConfigured } from "@/lib/clerk-setup";
import { env } from "@/lib/env";

/**
 * The id of the user whose Clerk session signed this request, or null when it is signed out, or
 * its token is forged, expired or meant for another origin. The session comes from
 * `Authorization: Bearer <token>` or Clerk's `__session` cookie, never from anything else the
 * request says. With CLERK_JWT_KEY it is verified without a network call (Clerk does not read
 * the variable by itself, so it is passed here); without it Clerk fetches its JWKS.
 */
export async function signedInUserId(request: Request): Promise<string | null> {
  // Without Clerk keys (zero-account dev) nobody can be signed in; Clerk would throw instead.
  if (!clerkConfigured) return null;
  const state = await clerk.authenticateRequest(request, {
    acceptsToken: "session_token",
    jwtKey: env.CLERK_JWT_KEY,
    authorizedParties: [new URL(env.APP_URL).origin],
  });
  // toAuth() treats a pending session (tasks left to do) as signed out.
  return state.isAuthenticated ? state.toAuth().userId : null;
}
