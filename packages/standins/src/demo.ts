import type { OrganizationJSON } from "@clerk/backend";
import { browserSideHandler } from "./browser-server";
import { ClerkStandIn } from "./clerk/backend-api";
import { FakeClerkFrontend } from "./clerk/frontend-api";
import { newInstanceKeys } from "./clerk/session";
import { ResendStandIn } from "./resend/api";
import { serveHandler, serveStandIn, type Served } from "./serve";
import { StripeStandIn } from "./stripe/api";
import { hostedPagesHandler } from "./stripe/hosted-pages";
import { FakeStripeJs } from "./stripe/stripe-js";
import { newWebhookSecrets, VendorWebhooks } from "./webhooks";

export interface DemoOptions {
  /** The app's public origin (APP_URL). */
  appUrl: string;
  /**
   * Where the browser-facing server listens (default 127.0.0.1): what the app listens on, so a
   * browser that reaches the app reaches it too, at APP_URL's host name. The vendor APIs, which
   * only the app calls, stay on 127.0.0.1.
   */
  browserHost?: string;
  /** The vendors to simulate; the others are left to the app's own configuration. */
  simulate: { clerk: boolean; stripe: boolean; resend: boolean };
  log?: (line: string) => void;
}

export interface DemoStandIns {
  /** What the app runs with for the simulated vendors: keys, base URLs, webhook secrets, prices. */
  env: Record<string, string>;
  /** The server the browser reaches in place of Clerk's and Stripe's browser-facing hosts. */
  browserUrl: string;
  close(): Promise<void>;
}

/** The demo's plan prices (Stripe's test mode has whatever the account made; these are ours). */
const demoPrices = [
  { id: "price_demo_pro", nickname: "Pro", unit_amount: 2900 },
  { id: "price_demo_enterprise", nickname: "Enterprise", unit_amount: 9900 },
  { id: "price_demo_seat", nickname: "Seat", unit_amount: 1500 },
];

/** People who are already in every organization a visitor creates, so there are seats to give. */
const teammates = [
  { first_name: "Max", last_name: "Example" },
  { first_name: "Mia", last_name: "Example" },
];

/**
 * Demo mode's vendors (`npm run dev` without keys): the stand-ins the browser suite uses, on real
 * local ports, wired as the real vendors are. Clerk sends `user.created` when a sign-up completes
 * and `organization.created` when the visitor creates an organization; Stripe sends
 * `customer.subscription.*` for every change to a subscription; each is a signed webhook to the
 * app. The browser reaches the simulated clerk-js, Stripe.js and Stripe's hosted pages through
 * one more server (browser-server.ts). Everything lives in memory for this run.
 */
export async function startDemoStandIns(options: DemoOptions): Promise<DemoStandIns> {
  const { appUrl, simulate, log = () => {} } = options;
  const appOrigin = new URL(appUrl).origin;
  const servers: Served[] = [];
  const env: Record<string, string> = {};
  const secrets = newWebhookSecrets();
  try {
    const stripe = simulate.stripe
      ? await serveStandIn((url) => new StripeStandIn(url))
      : undefined;
    const clerk = simulate.clerk ? await serveStandIn((url) => new ClerkStandIn(url)) : undefined;
    const resend = simulate.resend
      ? await serveStandIn((url) => new ResendStandIn(url))
      : undefined;
    servers.push(...[stripe, clerk, resend].filter((served) => served !== undefined));

    const webhooks = new VendorWebhooks(appUrl, secrets, {
      retryDelaysMs: [1000, 5000, 15_000],
      onFailure: (delivery) =>
        log(`${delivery.vendor} webhook ${delivery.type} was not taken: ${delivery.status}`),
    });

    // The browser side needs its own origin first: the Clerk publishable key names it.
    const browserSide: { handle?: ReturnType<typeof browserSideHandler> } = {};
    const browser = await serveHandler((request, origin) => browserSide.handle!(request, origin), {
      host: options.browserHost,
      urlHost: new URL(appUrl).hostname,
    });
    servers.push(browser);

    let frontend: FakeClerkFrontend | undefined;
    if (clerk) {
      const keys = newInstanceKeys(browser.url);
      frontend = new FakeClerkFrontend(clerk.standIn, appOrigin, keys);
      frontend.showCodes = true;
      frontend.onUserCreated = (user) => webhooks.clerk("user.created", user);
      frontend.onOrganizationCreated = (organization) =>
        welcomeOrganization(clerk.standIn, webhooks, organization);
      Object.assign(env, {
        // The key names the Frontend API's host (tokens' `iss` must match it); the app's Clerk
        // middleware reaches it over plain http as its proxy URL, ONRAMP_DEMO_URL (lib/auth.ts).
        NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: `pk_test_${Buffer.from(`${new URL(browser.url).host}$`)
          .toString("base64")
          .replace(/=+$/, "")}`,
        CLERK_SECRET_KEY: "sk_test_onramp_demo",
        CLERK_JWT_KEY: keys.publicKeyPem,
        CLERK_API_URL: clerk.url,
        CLERK_WEBHOOK_SIGNING_SECRET: secrets.clerk,
        // @clerk/nextjs's own script tags: clerk-js is already there (browser.js).
        NEXT_PUBLIC_CLERK_JS_URL: `${browser.url}/clerk-js/loaded.js`,
        NEXT_PUBLIC_CLERK_UI_URL: `${browser.url}/clerk-js/loaded.js`,
        NEXT_PUBLIC_CLERK_TELEMETRY_DISABLED: "1",
        NEXT_PUBLIC_CLERK_KEYLESS_DISABLED: "1",
        CLERK_TELEMETRY_DISABLED: "1",
      });
    }

    if (stripe) {
      stripe.standIn.hostedPagesUrl = browser.url;
      stripe.standIn.onEvent = (event) => webhooks.stripe(event);
      for (const price of demoPrices) {
        stripe.standIn.addPrice({ ...price, currency: "usd", transform_quantity: null });
      }
      Object.assign(env, {
        STRIPE_SECRET_KEY: "sk_test_onramp_demo",
        NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: "pk_test_onramp_demo",
        STRIPE_API_BASE: stripe.url,
        STRIPE_WEBHOOK_SECRET: secrets.stripe,
        STRIPE_PRICE_PRO: "price_demo_pro",
        STRIPE_PRICE_ENTERPRISE: "price_demo_enterprise",
        STRIPE_PRICE_SEAT: "price_demo_seat",
      });
    }

    if (resend) {
      Object.assign(env, { RESEND_API_KEY: "re_onramp_demo", RESEND_BASE_URL: resend.url });
    }

    browserSide.handle = browserSideHandler({
      appOrigin,
      clerk: frontend,
      stripe: stripe && new FakeStripeJs(stripe.standIn),
      hostedPages: stripe && hostedPagesHandler(stripe.standIn),
    });

    return {
      env,
      browserUrl: browser.url,
      async close() {
        await webhooks.settled();
        await Promise.all(servers.map((served) => served.close()));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((served) => served.close()));
    throw error;
  }
}

/**
 * What Clerk sends once an organization exists: `organization.created`, and a membership event
 * for its creator and for the demo's teammates, who are in it from the start.
 */
function welcomeOrganization(
  clerk: ClerkStandIn,
  webhooks: VendorWebhooks,
  organization: OrganizationJSON,
) {
  webhooks.clerk("organization.created", organization);
  const creator = clerk.memberships.get(`${organization.id}:${organization.created_by}`);
  if (creator) webhooks.clerk("organizationMembership.created", creator);
  for (const person of teammates) {
    const email = `${person.first_name.toLowerCase()}+${organization.slug}@example.com`;
    const user = clerk.addUser({ ...person, email });
    const membership = clerk.addMembership({ organizationId: organization.id, userId: user.id });
    webhooks.clerk("organizationMembership.created", membership);
  }
}
