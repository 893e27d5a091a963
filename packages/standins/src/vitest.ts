/**
 * Hermetic Stripe, Clerk, Resend and Inngest APIs for tests; the real SDKs talk to them over msw.
 *
 *   const vendors = setupVendors();
 *   vendors.clerk.addUser({ email: "a@onramp.test", unsafe_metadata: { tier: "pro", confirmationToken: "ctoken_ok" } });
 *   vendors.stripe.failNext("POST", "/v1/subscriptions", { status: 500 });
 *   expect(vendors.clerk.violations).toEqual([]);
 *
 * State, recorded requests, violations and injected failures reset after every test.
 */
import { setupServer, type SetupServer } from "msw/node";
import { afterAll, afterEach, beforeAll } from "vitest";
import { ClerkStandIn } from "./clerk/backend-api";
import { InngestStandIn } from "./inngest/event-api";
import { ResendStandIn } from "./resend/api";
import { StripeStandIn } from "./stripe/api";

export { ClerkStandIn, deepMerge, type SeedUser } from "./clerk/backend-api";
export { InngestStandIn, type ReceivedEvent } from "./inngest/event-api";
export { ResendStandIn, type DeliveredEmail } from "./resend/api";
export { StripeStandIn, parseStripeParams, type SubscriptionPatch } from "./stripe";
export type { InjectedFailure, PathMatcher, Recorded } from "./standin";

export interface Vendors {
  stripe: StripeStandIn;
  clerk: ClerkStandIn;
  resend: ResendStandIn;
  inngest: InngestStandIn;
  server: SetupServer;
  /** reset every stand-in (setupVendors does this after each test) */
  reset(): void;
}

// Base URLs come from the same env the app reads (vitest.config.ts), so a per-file override follows.
const origin = (value: string | undefined, fallback: string) => new URL(value ?? fallback).origin;

/** Stand-ins plus an msw server, not yet listening: for scripts and benches; tests use setupVendors(). */
export function createVendors(): Vendors {
  const stripe = new StripeStandIn(origin(process.env.STRIPE_API_BASE, "http://stripe.test"));
  const clerk = new ClerkStandIn(origin(process.env.CLERK_API_URL, "http://clerk.test"));
  const resend = new ResendStandIn(origin(process.env.RESEND_BASE_URL, "http://resend.test"));
  const inngest = new InngestStandIn(origin(process.env.INNGEST_BASE_URL, "http://inngest.test"));
  const all = [stripe, clerk, resend, inngest];
  const server = setupServer(...all.map((s) => s.handler()));
  return { stripe, clerk, resend, inngest, server, reset: () => all.forEach((s) => s.reset()) };
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Registers the msw lifecycle with vitest and returns the live stand-ins.
 * Any request that is neither a stand-in's nor loopback (local test servers) fails the test.
 */
export function setupVendors(): Vendors {
  const vendors = createVendors();
  beforeAll(() =>
    vendors.server.listen({
      onUnhandledRequest: (request, print) => {
        if (!LOOPBACK.has(new URL(request.url).hostname)) print.error();
      },
    }),
  );
  afterEach(() => {
    vendors.server.resetHandlers();
    vendors.reset();
  });
  afterAll(() => vendors.server.close());
  return vendors;
}
