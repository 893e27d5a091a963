import { clerkMiddleware } from "@clerk/nextjs/server";
import { NextResponse, type NextFetchEvent, type NextRequest } from "next/server";
import { clerkMiddlewareOptions } from "@/lib/auth";
import { clerkConfigured } from "@/lib/vendors/clerk";
import { onboardingCompleteIn, redirectFor, type Visitor } from "@/lib/onboarding/gate";

/**
 * Next 16's request proxy (formerly middleware): Clerk authenticates the request from its session
 * cookies or bearer token without a network call, then lib/onboarding/gate decides where pages go.
 */
const withClerk = clerkMiddleware(async (auth, request) => {
  const { pathname, search } = request.nextUrl;
  // Only page loads are steered. API routes answer 401 themselves, and server actions (POSTs to
  // a page) check the session in the action, so neither is ever redirected.
  if (pathname.startsWith("/api/") || (request.method !== "GET" && request.method !== "HEAD")) {
    return;
  }

  const session = await auth({ treatPendingAsSignedOut: false });
  const visitor: Visitor =
    session.sessionStatus === "pending"
      ? { kind: "pending" }
      : session.userId
        ? { kind: "signed-in", onboardingComplete: onboardingCompleteIn(session.sessionClaims) }
        : { kind: "signed-out" };

  const target = redirectFor(pathname, search, visitor);
  if (target) return NextResponse.redirect(new URL(target, request.url));
}, clerkMiddlewareOptions);

export default function proxy(request: NextRequest, event: NextFetchEvent) {
  if (!clerkConfigured) return NextResponse.next();
  return withClerk(request, event);
}

export const config = {
  matcher: [
    // Pages: everything but Next internals, static files and the API (below).
    "/((?!_next|api(?:/|$)|[^?]*\\.(?:html?|css|js(?!on)|jpe?g|webp|png|gif|svg|ttf|woff2?|ico|csv|docx?|xlsx?|zip|webmanifest)).*)",
    // API routes, except those authenticated by signatures, which must reach their handlers
    // byte for byte and untouched: the Inngest endpoint and the webhooks.
    "/api/((?!inngest(?:/|$)|webhooks(?:/|$)).*)",
  ],
};
