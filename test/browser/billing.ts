import { eq } from "drizzle-orm";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { fillCard } from "./sign-up";
import { screenshot, visit } from "./support/browser";
import { testPrices, type BrowserSuite } from "./support/suite";

const DAY = 86_400;
const widths = [
  { name: "1280", viewport: { width: 1280, height: 860 } },
  { name: "390", viewport: { width: 390, height: 844 } },
] as const;

/**
 * After the trial, in Chromium against `next start`: the past-due banner and paying from it, the
 * resubscribe page, and resuming a plan cancelled at its period's end. Each user's Stripe state is
 * made through the real SDK at the Stripe stand-in, on a test clock moved past the trial.
 * Screenshots at 1280 and 390 px: test-results/screenshots/billing-*.png.
 */
export function billingTests(suite: () => BrowserSuite) {
  /** The SDK at the suite's Stripe stand-in, as the app's own server reaches it. */
  function stripeSdk() {
    const url = new URL(suite().stripeApi.baseUrl);
    return new Stripe("sk_test_onramp_browser", {
      host: url.hostname,
      port: Number(url.port),
      protocol: "http",
      maxNetworkRetries: 0,
    });
  }

  /**
   * A Pro subscriber on a test clock whose trial ended `daysAfterTrial` days ago, charged with a
   * card of `card`'s kind ("unchargeable": its renewal was refused); their row and Clerk's
   * metadata as the workflows leave them.
   */
  async function subscriber(card: string, status?: Stripe.Subscription.Status) {
    const { stripeApi, clerkApi, addUser } = suite();
    const stripe = stripeSdk();
    const user = addUser({ public_metadata: { onboardingComplete: true, tier: "pro" } });
    const clock = await stripe.testHelpers.testClocks.create({
      frozen_time: Math.floor(Date.now() / 1000),
    });
    const customer = await stripe.customers.create({
      email: user.email,
      test_clock: clock.id,
      metadata: { clerk_user_id: user.id },
    });
    const { payment_method } = await stripe.setupIntents.create({
      customer: customer.id,
      confirm: true,
      confirmation_token: stripeApi.issueConfirmationToken(card, { card: "4242424242424242" }),
    });
    const subscription = await stripe.subscriptions.create({
      customer: customer.id,
      items: [{ price: testPrices.pro }],
      default_payment_method: payment_method as string,
      trial_period_days: 14,
      payment_settings: { save_default_payment_method: "on_subscription" },
      metadata: { clerk_user_id: user.id },
    });
    stripeApi.advanceTestClock(clock.id, clock.frozen_time + 14 * DAY + 3600);
    if (status === "canceled") stripeApi.updateSubscription(subscription.id, { status });
    const now = stripeApi.subscriptions.get(subscription.id)!;
    await (await getDb()).insert(users).values({
      clerkUserId: user.id,
      email: user.email,
      tier: "pro",
      stripeCustomerId: customer.id,
      stripeSubscriptionId: subscription.id,
      subscriptionStatus: now.status,
      currentPeriodEnd: new Date(now.items.data[0]!.current_period_end * 1000),
    });
    Object.assign(clerkApi.users.get(user.id)!.public_metadata, { subscriptionStatus: now.status });
    return { user, subscription: now, customer, stripe };
  }

  /** The user's dashboard in a fresh browser, signed in, with Stripe.js acting on the stand-in. */
  async function dashboardOf(userId: string, viewport: { width: number; height: number }) {
    const { appUrl, clerkApi, stripeApi, browser, tokenFor } = suite();
    const opened = await visit(browser, {
      appUrl,
      clerkApi,
      stripeApi,
      token: tokenFor(userId),
      viewport,
    });
    await opened.page.goto("/dashboard");
    return opened;
  }

  describe("after the trial", () => {
    it("past due: a banner on the dashboard, and the card fixed from it in one go", async () => {
      const { stripeApi } = suite();
      for (const { name, viewport } of widths) {
        const { user, subscription } = await subscriber("unchargeable");
        expect(subscription.status).toBe("past_due");
        const { page, context } = await dashboardOf(user.id, viewport);
        await page.getByText("Your last payment didn't go through").waitFor();
        expect(await page.getByTestId("subscription-status").textContent()).toBe("Payment overdue");
        await screenshot(page, `billing-past-due-${name}`);

        await page.getByRole("link", { name: "Update card and pay" }).click();
        await page.waitForURL(/\/dashboard\/pay$/);
        await page.getByText("This month's $20.00 is still due").waitFor();
        await page.getByLabel("Card number").waitFor();
        await screenshot(page, `billing-pay-${name}`);
        await fillCard(page);
        await page.getByRole("button", { name: "Pay $20.00" }).click();
        await page.waitForURL(/\/dashboard$/);
        await expect
          .poll(() => page.getByTestId("subscription-status").textContent(), { timeout: 15_000 })
          .toBe("Active");
        expect(await page.getByText("Your last payment didn't go through").count()).toBe(0);
        const invoice = stripeApi.invoices.get(subscription.latest_invoice as string)!;
        expect(invoice.status).toBe("paid");
        await context.close();
      }
      expect(stripeApi.violations).toEqual([]);
    });

    it("ended: the resubscribe page, with the saved card or a new one the bank checks, charged now", async () => {
      const { stripeApi } = suite();
      for (const { name, viewport } of widths) {
        const { user, customer } = await subscriber("ok", "canceled");
        const { page, context } = await dashboardOf(user.id, viewport);
        await page.getByText("Your plan has ended").waitFor();
        await page.getByRole("link", { name: "Subscribe again" }).click();
        await page.waitForURL(/\/dashboard\/resubscribe$/);
        await page.getByText("Your visa card ending in 4242").waitFor();
        await screenshot(page, `billing-resubscribe-${name}`);

        if (name === "1280") {
          // The saved card, Enterprise.
          await page.getByText("Enterprise", { exact: true }).click();
          await page.getByRole("button", { name: "Subscribe for $99/month" }).click();
        } else {
          // A new card whose bank asks for 3-D Secure: the simulated check passes.
          await page.getByText("A new card").click();
          await fillCard(page, { number: "4000 0027 6000 3184" });
          await page.getByRole("button", { name: "Subscribe for $29/month" }).click();
          await page.getByRole("dialog", { name: "3D Secure 2 Test Page" }).waitFor();
          const bank = page.getByRole("dialog", { name: "3D Secure 2 Test Page" });
          await screenshot(page, `billing-resubscribe-bank-${name}`);
          await bank.getByRole("button", { name: "Complete" }).click();
        }
        await page.waitForURL(/\/dashboard$/);
        await expect
          .poll(() => page.getByTestId("subscription-status").textContent(), { timeout: 15_000 })
          .toBe("Active");
        const subscriptions = [...stripeApi.subscriptions.values()].filter(
          (s) => s.customer === customer.id,
        );
        expect(subscriptions.map((s) => [s.status, s.trial_end])).toEqual([
          ["canceled", expect.any(Number)],
          ["active", null],
        ]);
        await context.close();
      }
      expect(stripeApi.violations).toEqual([]);
    });

    it("cancelled at the period's end: the date on the dashboard, and resumed from there", async () => {
      const { stripeApi } = suite();
      for (const { name, viewport } of widths) {
        const { user, subscription, stripe } = await subscriber("ok");
        await stripe.subscriptions.update(subscription.id, { cancel_at_period_end: true });
        const endsAt = new Date(subscription.items.data[0]!.current_period_end * 1000);
        await (
          await getDb()
        )
          .update(users)
          .set({ cancelsAt: endsAt })
          .where(eq(users.clerkUserId, user.id));
        const { page, context } = await dashboardOf(user.id, viewport);
        const date = new Intl.DateTimeFormat("en-US", {
          dateStyle: "long",
          timeZone: "UTC",
        }).format(endsAt);
        await page.getByText(`Your plan ends on ${date}`).waitFor();
        await screenshot(page, `billing-resume-${name}`);
        await page.getByRole("button", { name: "Resume my plan" }).click();
        await expect
          .poll(() => page.getByText(`Your plan ends on ${date}`).count(), { timeout: 15_000 })
          .toBe(0);
        expect(stripeApi.subscriptions.get(subscription.id)!.cancel_at_period_end).toBe(false);
        await context.close();
      }
    });
  });
}
