import { mkdirSync } from "node:fs";
import path from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { simulatedSdks } from "@onramp/standins/browser";
import { FakeClerkFrontend } from "@onramp/standins/clerk";
import { FakeStripeJs } from "@onramp/standins/stripe";
import { testInstanceKeys } from "@/test/support/session";
import type { ClerkStandIn, StripeStandIn } from "@onramp/standins/vitest";

const root = path.resolve(import.meta.dirname, "../../..");
export const screenshotDir = path.join(root, "test-results/screenshots");

/** Debian's Chromium, headless (Playwright passes --headless), with a fresh profile per launch. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
}

export interface Visit {
  context: BrowserContext;
  page: Page;
  /** What the page sent to Clerk's Frontend API, and the fake's users and codes. */
  clerk: FakeClerkFrontend;
  /** What the page asked of Stripe.js. */
  stripe: FakeStripeJs;
  /** Requests the page tried to make to any origin but the app's (all blocked). */
  offsite: string[];
}

/**
 * A fresh browser context on the app with Stripe.js and clerk-js replaced at their seams
 * (window.Stripe, window.Clerk) and no way off the machine. `token` signs the browser in the way
 * clerk-js leaves it: Clerk's session cookies for a development instance.
 */
export async function visit(
  browser: Browser,
  options: {
    appUrl: string;
    clerkApi: ClerkStandIn;
    /** Lets Stripe.js's test cards and 3-D Secure act on the Stripe API stand-in. */
    stripeApi?: StripeStandIn;
    token?: string;
    viewport?: { width: number; height: number };
  },
): Promise<Visit> {
  const { appUrl } = options;
  const context = await browser.newContext({
    baseURL: appUrl,
    viewport: options.viewport ?? { width: 1280, height: 860 },
  });
  const clerk = new FakeClerkFrontend(options.clerkApi, new URL(appUrl).origin, testInstanceKeys);
  const stripe = new FakeStripeJs(options.stripeApi);
  const offsite: string[] = [];
  await context.exposeBinding("__onrampClerk", (_source, op: string, payload) =>
    clerk.handle(op, payload ?? {}),
  );
  await context.exposeBinding("__onrampStripe", (_source, op: string, payload) =>
    stripe.handle(op, payload ?? {}),
  );
  const sdks = simulatedSdks();
  for (const content of [sdks.stripe, sdks.clerk]) await context.addInitScript({ content });
  await context.route(
    (url) => url.origin !== new URL(appUrl).origin,
    (route) => {
      offsite.push(route.request().url());
      // clerk-js and its UI from Clerk's CDN: the fake is already loaded, so an empty script.
      if (route.request().resourceType() === "script") {
        return route.fulfill({ status: 200, contentType: "text/javascript", body: "" });
      }
      // A page the app sends the browser to (Stripe's billing portal): a stub to land on.
      if (route.request().resourceType() === "document") {
        return route.fulfill({
          status: 200,
          contentType: "text/html",
          body: `<!doctype html><title>Offsite stand-in</title><h1>${new URL(route.request().url()).host}</h1>`,
        });
      }
      return route.abort("blockedbyclient");
    },
  );

  const cookie = (name: string, value: string) => ({
    name,
    value,
    url: appUrl,
    sameSite: "Lax" as const,
  });
  const cookies = [cookie("__clerk_db_jwt", "dvb_onramp_browser_test")];
  if (options.token) {
    const claims = JSON.parse(Buffer.from(options.token.split(".")[1]!, "base64url").toString());
    cookies.push(cookie("__session", options.token), cookie("__client_uat", String(claims.iat)));
  } else {
    cookies.push(cookie("__client_uat", "0"));
  }
  await context.addCookies(cookies);

  const page = await context.newPage();
  return { context, page, clerk, stripe, offsite };
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(screenshotDir, { recursive: true });
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });
}
