import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll } from "vitest";
import { serveInngestDriver, type InngestDriver } from "@onramp/standins/inngest";
import { sessionToken } from "@onramp/standins/clerk";
import { serveStandIn } from "@onramp/standins/http";
import { VendorWebhooks } from "@onramp/standins/webhooks";
import { sessionPublicKeyPem, testInstanceKeys } from "@/test/support/session";
import { ClerkStandIn, ResendStandIn, StripeStandIn } from "@onramp/standins/vitest";
import { freePort, startApp, type AppServer } from "./app-server";
import { launchChromium } from "./browser";

export interface BrowserSuite {
  app: AppServer;
  appUrl: string;
  /** The vendor APIs the server reaches (its pages, actions and workflows), over real local ports. */
  stripeApi: StripeStandIn;
  clerkApi: ClerkStandIn;
  resendApi: ResendStandIn;
  /** The app's Inngest: every event it sends, and the runs of its workflows. */
  inngest: InngestDriver;
  /** Clerk's and Stripe's webhooks to the app (Stripe's follow its subscription writes). */
  webhooks: VendorWebhooks;
  browser: Browser;
  /** A Clerk user (in the Backend API stand-in) with a unique email. */
  addUser(fields?: {
    unsafe_metadata?: Record<string, unknown>;
    public_metadata?: Record<string, unknown>;
  }): { id: string; email: string };
  /** A session token for the user, minted for this app (claims may add or override). */
  tokenFor(userId: string, claims?: Record<string, unknown>): string;
  close(): Promise<void>;
}

const root = path.resolve(import.meta.dirname, "../../..");
let users = 0;

/** The signing secrets the suite's app is configured with. */
const webhookSecrets = {
  clerk: "whsec_b25yYW1wLWJyb3dzZXItdGVzdA==",
  stripe: "whsec_onramp_browser",
};

export const testPrices = { pro: "price_pro_test", enterprise: "price_enterprise_test" };

/**
 * One server for the whole suite: `next start` (already built) with every vendor at a local
 * stand-in and the database at the Neon SQL-over-HTTP endpoint the test process also writes to,
 * plus one Chromium. The database comes from the caller (vitest's global setup, or the bench).
 */
export async function startSuite(database: {
  connectionString: string;
  fetchEndpoint: string;
}): Promise<BrowserSuite> {
  const served: { close(): Promise<void> }[] = [];
  const stripe = await serveStandIn((url) => new StripeStandIn(url));
  const clerk = await serveStandIn((url) => new ClerkStandIn(url));
  const resend = await serveStandIn((url) => new ResendStandIn(url));
  served.push(stripe, clerk, resend);

  const port = await freePort();
  const appUrl = `http://localhost:${port}`;
  // The workflows run through the app's own /api/inngest. Each request of a run waits a little,
  // so the progress page (polling every 500 ms) shows the steps one by one, as a person sees them.
  const runLog: string[] = [];
  const inngest = await serveInngestDriver({
    serveUrl: `${appUrl}/api/inngest`,
    stepDelayMs: 500,
    log: (line) => runLog.push(`${new Date().toISOString()} ${line}`),
  });
  served.push({
    async close() {
      await inngest.close();
      mkdirSync(path.join(root, "test-results"), { recursive: true });
      writeFileSync(path.join(root, "test-results/inngest-driver.log"), runLog.join("\n"));
    },
  });
  const webhooks = new VendorWebhooks(appUrl, webhookSecrets);
  stripe.standIn.onEvent = (event) => webhooks.stripe(event);
  const app = await startApp(port, {
    APP_URL: appUrl,
    ONRAMP_ENVIRONMENT: "browser-suite",
    DATABASE_URL: database.connectionString,
    NEON_FETCH_ENDPOINT: database.fetchEndpoint,
    CLERK_SECRET_KEY: "sk_test_onramp_browser",
    CLERK_JWT_KEY: sessionPublicKeyPem,
    CLERK_API_URL: clerk.url,
    CLERK_TELEMETRY_DISABLED: "1",
    CLERK_WEBHOOK_SIGNING_SECRET: webhookSecrets.clerk,
    // The driver plays the dev server (unsigned), which production refuses without the opt-in;
    // the app reaches it with the keys it hands out (INNGEST_BASE_URL and the two keys).
    INNGEST_DEV: "1",
    ONRAMP_UNSAFE_ALLOW_INNGEST_DEV_IN_PRODUCTION: "1",
    ...inngest.appEnv,
    STRIPE_SECRET_KEY: "sk_test_onramp_browser",
    STRIPE_API_BASE: stripe.url,
    STRIPE_WEBHOOK_SECRET: webhookSecrets.stripe,
    STRIPE_PRICE_PRO: testPrices.pro,
    STRIPE_PRICE_ENTERPRISE: testPrices.enterprise,
    TRIAL_DAYS: "14",
    RESEND_API_KEY: "re_onramp_browser",
    RESEND_BASE_URL: resend.url,
    EMAIL_FROM: "onramp <support@onramp.test>",
  }).catch(async (error: unknown) => {
    await Promise.all(served.map((s) => s.close()));
    throw error;
  });
  const browser = await launchChromium();

  return {
    app,
    appUrl,
    stripeApi: stripe.standIn,
    clerkApi: clerk.standIn,
    resendApi: resend.standIn,
    inngest: inngest.driver,
    webhooks,
    browser,
    addUser(fields = {}) {
      const email = `user${++users}-${Date.now()}@example.com`;
      const user = clerk.standIn.addUser({ email, ...fields });
      return { id: user.id, email };
    },
    tokenFor: (userId, claims) =>
      sessionToken(clerk.standIn, testInstanceKeys, appUrl, userId, claims),
    async close() {
      await browser.close();
      await app.stop();
      await Promise.all(served.map((s) => s.close()));
    },
  };
}

/** Registers the suite with vitest: started once before the file's tests, stopped after. */
export function setupBrowserSuite(): () => BrowserSuite {
  let suite: BrowserSuite | undefined;
  beforeAll(async () => {
    suite = await startSuite({
      connectionString: process.env.DATABASE_URL!,
      fetchEndpoint: process.env.NEON_FETCH_ENDPOINT!,
    });
  }, 120_000);
  afterAll(async () => {
    await suite?.close();
  });
  return () => {
    if (!suite) throw new Error("the browser suite has not started");
    return suite;
  };
}
