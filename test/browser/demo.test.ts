import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { fillCard } from "./sign-up";
import { launchChromium, screenshot } from "./support/browser";
import { startDevServer, type DevServer } from "./support/dev-server";
import { isLoopback, listeningAddresses } from "@/test/support/listening";

// Demo mode as a visitor meets it: `npm run dev` with no keys at all (scripts/dev.ts, spawned as
// package.json runs it), then Chromium with nothing of the test's in the page. The simulated
// clerk-js and Stripe.js come from the app itself, the email code from the page, Clerk's, Stripe's
// and Inngest's work from the stand-ins that `npm run dev` started. Screenshots at 1280 and 390
// px wide: test-results/screenshots/demo-*.png.

const wide = { width: 1280, height: 860 };
const narrow = { width: 390, height: 844 };
const loopback = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** `locator` once it shows, reloading the page meanwhile as a person waiting for it would. */
async function reloadUntilShown(page: Page, locator: Locator, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await locator.isVisible())) {
    if (Date.now() > deadline) throw new Error(`${locator} did not show in ${timeoutMs} ms`);
    await page.waitForTimeout(1500);
    await page.reload();
  }
}

describe("demo mode: npm run dev without keys", () => {
  let dev: DevServer;
  let browser: Browser;
  /** Requests any page made off this machine (none should be). */
  const offsite: string[] = [];
  /** Errors thrown in any page. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [dev, browser] = await Promise.all([startDevServer(), launchChromium()]);
    // `next dev` compiles a page on its first visit and may then reload the pages open in the
    // browser: the pages a signed-out visitor can reach are compiled before anyone visits.
    for (const path of ["/", "/sign-up", "/sign-in", "/dev/emails"]) {
      await fetch(new URL(path, dev.url), {
        headers: { cookie: "__clerk_db_jwt=dvb_warm_up; __client_uat=0" },
        signal: AbortSignal.timeout(180_000),
      });
    }
  }, 600_000);
  afterAll(async () => {
    await browser?.close();
  });

  const open: BrowserContext[] = [];
  afterEach(async () => {
    // Whatever a test left open (it failed half-way) is closed, so no page lingers.
    await Promise.all(open.splice(0).map((context) => context.close()));
  });

  /** A visitor with a fresh browser at this width. */
  async function visitor(viewport: { width: number; height: number }) {
    const context = await browser.newContext({ baseURL: dev.url, viewport });
    open.push(context);
    await context.route(
      (url) => !loopback.has(url.hostname),
      (route) => {
        offsite.push(route.request().url());
        return route.abort("blockedbyclient");
      },
    );
    const page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    return { context, page };
  }

  /** The sign-up form and the email code shown on the page, on to the progress page. */
  async function signUp(
    page: Page,
    person: { shots: string; plan: "Pro" | "Enterprise"; card: string },
  ) {
    const email = `${person.shots}-${Date.now()}@example.com`;
    // The first visit compiles the page: a slow machine takes a while.
    await page.goto("/sign-up", { timeout: 120_000 });
    await page.getByLabel("Card number").waitFor({ timeout: 120_000 });
    await page.getByLabel("Work email").fill(email);
    await page.getByText(person.plan, { exact: true }).click();
    await fillCard(page, { number: person.card });
    await screenshot(page, `${person.shots}-1-sign-up`);
    await page.getByRole("button", { name: "Start free trial" }).click();

    const notice = page.locator("[data-simulated-email]");
    await notice.waitFor();
    expect(await notice.textContent()).toContain(`To ${email}: your verification code is`);
    await page
      .getByLabel("Verification code")
      .fill((await notice.locator("strong").textContent())!);
    await screenshot(page, `${person.shots}-2-code`);
    await page.getByRole("button", { name: "Verify email" }).click();
    await page.waitForURL((url) => url.pathname === "/after-sign-up", { timeout: 60_000 });
    return email;
  }

  /** The dashboard, with the trial Stripe's subscription event has brought. */
  async function expectDashboard(page: Page, plan: string, email: string) {
    await page.waitForURL((url) => url.pathname === "/dashboard", { timeout: 90_000 });
    await reloadUntilShown(page, page.getByText("14 days left in your trial"));
    await page.getByText(plan, { exact: true }).waitFor();
    expect(await page.getByTestId("subscription-status").textContent()).toBe("Free trial");
    expect(await page.getByText(`Signed in as ${email}`).count()).toBe(1);
  }

  it("listens on this machine only: the app, the stand-ins and the Inngest driver", () => {
    // Every listening socket of the dev script and what it started (next dev and its workers).
    const listening = listeningAddresses(dev.pid);
    expect(
      listening.filter((address) => address.endsWith(`:${new URL(dev.url).port}`)),
    ).toHaveLength(1);
    expect(listening.filter((address) => !isLoopback(address))).toEqual([]);
  });

  it("says on every page that the vendors are simulated, and how to switch to real keys", async () => {
    expect(dev.output()).toContain(
      "Demo mode: Clerk, Stripe, Resend, Inngest simulated on this machine",
    );
    const { page } = await visitor(wide);
    for (const path of ["/", "/sign-in", "/dev/emails"]) {
      await page.goto(path, { timeout: 120_000 });
      const banner = page.getByRole("complementary", { name: "Demo mode" });
      expect(await banner.textContent()).toContain(
        "Clerk, Stripe, Resend and Inngest are simulated on this machine",
      );
      expect(await banner.textContent()).toContain("put their keys in .env.local");
    }
  }, 240_000);

  it("signs up with a test card, shows the steps, and lands on the dashboard; billing and emails are simulated too", async () => {
    const { page } = await visitor(wide);
    const email = await signUp(page, {
      shots: "demo-1280",
      plan: "Pro",
      card: "4242 4242 4242 4242",
    });
    await page.locator('[data-step="customer"][data-status="done"]').waitFor({ timeout: 60_000 });
    await screenshot(page, "demo-1280-3-progress");
    await expectDashboard(page, "Pro", email);
    await screenshot(page, "demo-1280-4-dashboard");

    // Stripe's Customer Portal, simulated: the trial is there; back to the app.
    await page.getByRole("button", { name: "Manage billing" }).click();
    await page.waitForURL((url) => url.pathname.startsWith("/portal/"), { timeout: 30_000 });
    expect(await page.getByText("trialing").count()).toBe(1);
    await screenshot(page, "demo-1280-5-portal");
    await page.getByRole("link", { name: "← Return to onramp" }).click();
    await page.waitForURL((url) => url.pathname === "/dashboard");

    // The welcome email, sent to the simulated Resend, is at /dev/emails.
    await page.goto("/dev/emails");
    await reloadUntilShown(page, page.getByText(email).first());
    expect(await page.getByText("sent to the simulated Resend (demo mode)").count()).toBe(1);
    await screenshot(page, "demo-1280-6-emails");
  }, 300_000);

  it("after a declined card, takes a new card on the progress page and lands on the dashboard (390 px)", async () => {
    const { page } = await visitor(narrow);
    const email = await signUp(page, {
      shots: "demo-390",
      plan: "Enterprise",
      card: "4000 0000 0000 0002",
    });
    await page
      .getByRole("heading", { name: "We couldn't save your card" })
      .waitFor({ timeout: 60_000 });
    expect(await page.getByText("Your card was declined.").count()).toBeGreaterThan(0);
    await screenshot(page, "demo-390-3-declined");
    await fillCard(page, { number: "5555 5555 5555 4444" });
    await page.getByRole("button", { name: "Save card and continue" }).click();
    await expectDashboard(page, "Enterprise", email);
    await screenshot(page, "demo-390-4-dashboard");
  }, 300_000);

  it("creates an organization, buys seats on the simulated Checkout and licenses members up to them", async () => {
    const { page } = await visitor(wide);
    const email = await signUp(page, {
      shots: "demo-1280-org",
      plan: "Enterprise",
      card: "4242 4242 4242 4242",
    });
    await expectDashboard(page, "Enterprise", email);

    await page.getByTestId("org-switcher").getByRole("button", { expanded: false }).click();
    await page.getByLabel("Organization name").fill("Acme");
    await page.getByRole("button", { name: "Create organization" }).click();
    await page.waitForURL((url) => url.pathname === "/org/licensing");
    await page.getByRole("form", { name: "Buy seats" }).waitFor();
    await page.getByLabel("Number of seats").fill("2");
    await page.getByRole("button", { name: "Buy seats" }).click();

    // Stripe Checkout, simulated: a declined card is refused there, a good one pays.
    await page.getByRole("button", { name: "Subscribe" }).waitFor({ timeout: 30_000 });
    await page.getByLabel("Card number").fill("4000 0000 0000 0002");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await page.getByRole("alert").filter({ hasText: "Your card was declined" }).waitFor();
    await screenshot(page, "demo-1280-7-checkout");
    await page.getByLabel("Card number").fill("4242 4242 4242 4242");
    await page.getByRole("button", { name: "Subscribe" }).click();
    await page.waitForURL((url) => url.pathname === "/org/licensing", { timeout: 30_000 });

    // The seats arrive with Stripe's subscription event; the teammates are already members.
    await reloadUntilShown(page, page.getByTestId("seats-purchased").filter({ hasText: "2" }));
    const licensed = (name: string) => page.getByRole("switch", { name: `Licensed: ${name}` });
    await licensed(email).click();
    await page.getByRole("switch", { name: `Licensed: ${email}`, checked: true }).waitFor();
    await licensed("Max Example").click();
    await page.getByRole("switch", { name: "Licensed: Max Example", checked: true }).waitFor();
    await licensed("Mia Example").click();
    await page
      .getByRole("alert")
      .filter({ hasText: "All 2 purchased seats are assigned" })
      .waitFor();
    expect(await page.getByTestId("seats-assigned").textContent()).toBe("2");
    await screenshot(page, "demo-1280-8-seats");
    await page.setViewportSize(narrow);
    await screenshot(page, "demo-390-5-seats");
  }, 300_000);

  it("left nothing: no request off the machine, no error in a page, and SIGTERM to npm run dev stops it all", async () => {
    expect(offsite).toEqual([]);
    expect(pageErrors).toEqual([]);
    const { appStopped } = await dev.stop();
    expect(appStopped).toBe(true);
  }, 60_000);
});
