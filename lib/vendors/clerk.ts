import { createClerkClient } from "@clerk/backend";
import { isClerkAPIResponseError } from "@clerk/backend/errors";
import { env } from "@/lib/env";
import { retryAfterMs, type VendorFailure } from "./failure";

/** The Clerk Backend API client; CLERK_API_URL points it at a local stand-in. */
export const clerk = createClerkClient({
  secretKey: env.CLERK_SECRET_KEY,
  publishableKey: env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY,
  apiUrl: env.CLERK_API_URL,
  jwtKey: env.CLERK_JWT_KEY,
});

/**
 * Whether sign-in can work at all. Without Clerk keys (the zero-account `npm run dev`) the proxy
 * lets every request through and the pages that need a user explain how to configure Clerk.
 */
export const clerkConfigured = Boolean(
  env.NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY && env.CLERK_SECRET_KEY,
);

/** The Clerk variables sign-in needs (clerkConfigured: both set). */
export const clerkVariables = ["NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "CLERK_SECRET_KEY"] as const;

/** The Clerk variables sign-in still needs, by name (never their values). */
export function missingClerkVariables(): string[] {
  return clerkVariables.filter((name) => !env[name]);
}

/**
 * What a Clerk Backend API error means; null when it is not one. Clerk's SDK does not retry: a
 * 429 carries the Retry-After Clerk sent, a 404 means the user, org or membership is gone.
 */
export function classifyClerkError(error: unknown): VendorFailure | null {
  if (!isClerkAPIResponseError(error)) return null;
  const vendor = "Clerk";
  const message = error.errors[0]?.longMessage ?? error.message;
  if (error.status === 429) {
    return {
      kind: "rate_limited",
      vendor,
      retryAfterMs: retryAfterMs(error.retryAfter, 10_000),
      message,
    };
  }
  if (error.status === 404) return { kind: "permanent", vendor, code: "not_found", message };
  if (error.status >= 400 && error.status < 500) {
    return { kind: "permanent", vendor, code: "rejected", message };
  }
  return { kind: "transient", vendor, message };
}
