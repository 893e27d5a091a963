import { createClerkClient } from "@clerk/backend";
import { env } from "@/lib/env";

/** The Clerk Backend API client; CLERK_API_URL points it at a local stand-in. */
export const clerk = createClerkClient({
  secretKey: env.CLERK_SECRET_KEY,
  publishableKey: env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
  apiUrl: env.CLERK_API_URL,
  jwtKey: env.CLERK_JWT_KEY,
});
