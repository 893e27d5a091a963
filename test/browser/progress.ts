import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { claimOnboarding, recordState, recordSteps } from "@/lib/onboarding/progress";
import { fillCard } from "./sign-up";
import { screenshot, visit } from "./support/browser";
import type { BrowserSuite } from "./support/suite";

// The progress page is driven the way the workflow drives it: through lib/onboarding/progress,
// over the Neon HTTP driver, into the database the app reads.

const stateOf = (page: Page) => page.locator("[data-state]").getAttribute("data-state");
const stepStatus = (page: Page, step: string) =>
  page.locator(`[data-step="${step}"]`).getAttribute("data-status");

/** Counts the page's status polls from now on. */
function countPolls(page: Page) {
  let count = 0;
  page.on("request", (request) => {
    if (new URL(request.url()).pathname === "/api/onboarding/status") count++;
  });
  return () => count;
}

export function progressTests(suite: () => BrowserSuite) {
  describe("progress page", () => {
    it("follows the run through every state, with a new card, 3-D Secure and the stall message", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor, inngest } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro", confirmationToken: "ctoken_used" } });
      const { page, stripe, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });

      // Nothing recorded yet: pending, every step waiting.
      await page.goto("/after-sign-up?stall=3");
      expect(await stateOf(page)).toBe("pending");
      expect(await stepStatus(page, "customer")).toBe("pending");
      await screenshot(page, "progress-pending");

      // The provisioning run starts (its Inngest run id is the user's support reference).
      const runId = "01JDQ7ZK3V9H8X2M4N6P0R5T7W";
      await claimOnboarding(user.id, runId);
      await recordSteps(user.id, "plan", "done");
      await recordSteps(user.id, "customer", "running");
      await expect.poll(() => stepStatus(page, "customer")).toBe("running");
      expect(await stateOf(page)).toBe("running");
      expect(await page.getByText("This is taking longer than usual").count()).toBe(0);
      await screenshot(page, "progress-running");

      // Nothing moves for longer than the (lowered) threshold: the page says so and what to do.
      await page.getByText("This is taking longer than usual").waitFor({ timeout: 10_000 });
      expect(await page.getByRole("link", { name: "support@onramp.test" }).count()).toBe(1);
      await screenshot(page, "progress-stalled");

      // The card is declined: the reason, and a new card without starting over.
      await recordSteps(user.id, "customer", "done");
      await recordSteps(user.id, "payment-method", "failed", "Your card was declined.");
      await recordState(user.id, "payment_failed", {
        reason: "Your card was declined.",
        action: { type: "update_payment_method" },
      });
      await page.getByRole("heading", { name: "We couldn't save your card" }).waitFor();
      expect(await page.getByText("This is taking longer than usual").count()).toBe(0);
      await page.getByLabel("Card number").waitFor();
      expect(await page.getByText("Your card was declined.").count()).toBe(1);
      await screenshot(page, "progress-payment-failed");
      await fillCard(page, { number: "5555 5555 5555 4444" });
      await page.getByRole("button", { name: "Save card and continue" }).click();
      await page.getByText("Trying your new card…").waitFor();
      // The plan is the one chosen at sign-up (Clerk's unsafeMetadata), the card the new token.
      expect(inngest.eventsNamed("app/onboarding.submitted")).toEqual([
        expect.objectContaining({
          id: `onboarding-submitted-${user.id}-${stripe.issuedTokens[0]}`,
          data: { userId: user.id, tier: "pro", confirmationToken: stripe.issuedTokens[0] },
        }),
      ]);

      // The bank wants 3-D Secure: Stripe.js shows its check, the run is told to look again.
      await recordSteps(user.id, "payment-method", "running", "Waiting for your bank to confirm");
      await recordState(user.id, "action_required", {
        reason: "Your bank needs you to confirm the card.",
        action: { type: "confirm_setup", clientSecret: "seti_3DS123_secret_abc" },
      });
      await page.getByRole("heading", { name: "Confirm your card with your bank" }).waitFor();
      await screenshot(page, "progress-action-required");
      await page.getByRole("button", { name: "Confirm with my bank" }).click();
      const bank = page.getByRole("dialog", { name: "3D Secure 2 Test Page" });
      await bank.waitFor();
      await screenshot(page, "progress-3ds-dialog");
      await bank.getByRole("button", { name: "Complete" }).click();
      await page.getByText("Thanks. Checking with your bank…").waitFor();
      expect(stripe.named("handleNextAction")[0]?.payload).toEqual({
        clientSecret: "seti_3DS123_secret_abc",
        outcome: "complete",
      });
      expect(inngest.eventsNamed("app/onboarding.payment_confirmed")).toEqual([
        expect.objectContaining({ data: { userId: user.id, setupIntentId: "seti_3DS123" } }),
      ]);

      // A permanent failure: the reason, what to do, and polling stops.
      await recordSteps(user.id, "payment-method", "done");
      await recordSteps(
        user.id,
        "subscription",
        "failed",
        "The pro plan is not available right now.",
      );
      await recordState(user.id, "failed", { reason: "The pro plan is not available right now." });
      await page
        .getByRole("heading", { name: "We couldn't finish setting up your account" })
        .waitFor();
      expect(
        await page.getByText("The pro plan is not available right now.").count(),
      ).toBeGreaterThan(0);
      // Stated once (the failed step does not repeat it), and one way to sign out: the header's.
      expect(await page.getByText("The pro plan is not available right now.").count()).toBe(1);
      expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(1);
      // The run's reference, for support and for the operator who opens the run.
      expect(await page.getByText(`Reference: ${runId}`).count()).toBe(1);
      const mailtos = await page
        .locator('a[href^="mailto:"]')
        .evaluateAll((links) => links.map((link) => link.getAttribute("href")));
      expect(mailtos.length).toBeGreaterThan(0);
      for (const href of mailtos) expect(href).toContain(encodeURIComponent(runId));
      await screenshot(page, "progress-failed");
      const polls = countPolls(page);
      await page.waitForTimeout(2_000);
      expect(polls()).toBe(0);
      await context.close();
    });

    it("after a decline offers another plan and another card before support, in the same run", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor, inngest } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro", confirmationToken: "ctoken_used" } });
      const runId = "01JDQ7ZK3V9H8X2M4N6P0R5T8X";
      await claimOnboarding(user.id, runId);
      await recordSteps(user.id, ["plan", "customer"], "done");
      await recordSteps(user.id, "payment-method", "failed", "Your card was declined.");
      await recordState(user.id, "payment_failed", {
        reason: "Your card was declined.",
        action: { type: "update_payment_method" },
      });
      const { page, stripe, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
        viewport: { width: 390, height: 844 },
      });
      await page.goto("/after-sign-up");
      await page.getByLabel("Card number").waitFor();

      // What the user can fix comes first; support (with the run's reference) after it.
      const order = await page.evaluate(() => {
        const at = (element: Element | null) =>
          element ? [...document.querySelectorAll("*")].indexOf(element) : -1;
        return {
          plan: at(
            [...document.querySelectorAll("button")].find(
              (b) => b.textContent === "Choose another plan",
            ) ?? null,
          ),
          card: at(document.querySelector('form[aria-label="Use another card"]')),
          support: at(document.querySelector('a[href^="mailto:"]')),
        };
      });
      expect(order.plan).toBeGreaterThan(-1);
      expect(order.card).toBeGreaterThan(-1);
      expect(order.support).toBeGreaterThan(Math.max(order.plan, order.card));
      expect(await page.getByText(`Reference: ${runId}`).count()).toBe(1);
      expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(1);

      await page.getByRole("button", { name: "Choose another plan" }).click();
      await page.getByText("Enterprise", { exact: true }).click();
      await fillCard(page, { number: "5555 5555 5555 4444" });
      await screenshot(page, "progress-payment-failed-other-plan-mobile");
      await page.getByRole("button", { name: "Save card and continue" }).click();
      await page.getByText("Trying your new card…").waitFor();
      const submitted = inngest
        .eventsNamed("app/onboarding.submitted")
        .filter((event) => (event.data as { userId?: string }).userId === user.id);
      expect(submitted).toEqual([
        expect.objectContaining({
          data: { userId: user.id, tier: "enterprise", confirmationToken: stripe.issuedTokens[0] },
        }),
      ]);
      expect(
        await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth),
      ).toBe(false);
      await context.close();
    });

    it("notices a change at once after a long quiet spell: the server holds its request until then", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro" } });
      await recordState(user.id, "running");
      await recordSteps(user.id, "plan", "done");
      const { page, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      const polls = countPolls(page);
      await page.goto("/after-sign-up");
      // Quiet past the fast schedule (10 s): a polling page would now ask every few seconds.
      await page.waitForTimeout(12_000);
      const asked = polls();
      expect(asked).toBeLessThanOrEqual(3);

      const answered = page.waitForResponse(
        (response) =>
          new URL(response.url()).pathname === "/api/onboarding/status" &&
          response.status() === 200,
      );
      await recordSteps(user.id, "customer", "running");
      const changedAt = Date.now();
      // The change came on the request that was already waiting (bench:progress measures how
      // soon; tests never time it).
      const response = await answered;
      expect(response.request().timing().startTime).toBeLessThan(changedAt);
      expect(new URL(response.url()).searchParams.get("wait")).toMatch(/^"/);
      await expect.poll(() => stepStatus(page, "customer")).toBe("running");
      await context.close();
    });

    it("lets the user fail 3-D Secure and says so, still telling the run to look", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor, inngest } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro" } });
      await recordState(user.id, "action_required", {
        action: { type: "confirm_setup", clientSecret: "seti_FAIL1_secret_x" },
      });
      const { page, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      await page.goto("/after-sign-up");
      await page.getByRole("button", { name: "Confirm with my bank" }).click();
      await page
        .getByRole("dialog", { name: "3D Secure 2 Test Page" })
        .getByRole("button", { name: "Fail" })
        .click();
      await page
        .getByText("We are unable to authenticate your payment method.", { exact: false })
        .waitFor();
      expect(inngest.eventsNamed("app/onboarding.payment_confirmed")).toContainEqual(
        expect.objectContaining({ data: { userId: user.id, setupIntentId: "seti_FAIL1" } }),
      );
      await context.close();
    });

    it("confirms the first payment (no trial) with the PaymentIntent's client secret and tells the run to look at that PaymentIntent", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor, inngest } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro" } });
      await recordSteps(
        user.id,
        "subscription",
        "running",
        "Waiting for your bank to confirm the payment",
      );
      await recordState(user.id, "action_required", {
        reason: "Your bank needs you to confirm the payment.",
        action: { type: "confirm_payment", clientSecret: "pi_3DS123_secret_abc" },
      });
      const { page, stripe, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      await page.goto("/after-sign-up");
      await page.getByRole("button", { name: "Confirm with my bank" }).click();
      await page
        .getByRole("dialog", { name: "3D Secure 2 Test Page" })
        .getByRole("button", { name: "Complete" })
        .click();
      await page.getByText("Thanks. Checking with your bank…").waitFor();
      expect(stripe.named("handleNextAction")[0]?.payload).toEqual({
        clientSecret: "pi_3DS123_secret_abc",
        outcome: "complete",
      });
      expect(inngest.eventsNamed("app/onboarding.payment_confirmed")).toContainEqual(
        expect.objectContaining({
          id: `onboarding-payment-confirmed-${user.id}-pi_3DS123`,
          data: { userId: user.id, paymentIntentId: "pi_3DS123" },
        }),
      );
      await context.close();
    });

    it("on completion refreshes the session for the new claims, then opens the dashboard, with no loop", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro" } });
      await recordState(user.id, "running");
      await recordSteps(user.id, ["plan", "customer", "payment-method", "subscription"], "done");
      await recordSteps(user.id, "account", "running");
      const { page, clerk, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      const documents: string[] = [];
      page.on("request", (request) => {
        if (request.resourceType() === "document") documents.push(new URL(request.url()).pathname);
      });
      await page.goto("/after-sign-up");
      expect(await stateOf(page)).toBe("running");

      // The workflow's last step: Clerk's publicMetadata, then the state. Clerk lags at first.
      clerk.staleClaims = true;
      clerkApi.users.get(user.id)!.public_metadata = { onboardingComplete: true, tier: "pro" };
      await recordSteps(user.id, "account", "done");
      await recordState(user.id, "complete");
      await page.getByText("Your account is ready, but your sign-in hasn't caught up").waitFor({
        timeout: 15_000,
      });
      expect(page.url()).toBe(`${appUrl}/after-sign-up`);
      await screenshot(page, "progress-complete-session-lag");

      clerk.staleClaims = false;
      await page.getByRole("button", { name: "Try again" }).click();
      await page.waitForURL(`${appUrl}/dashboard`);
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      expect(clerk.named("session.getToken").length).toBeGreaterThanOrEqual(2);
      expect(documents).toEqual(["/after-sign-up", "/dashboard"]);
      await context.close();
    });

    it("sends a user without payment details to /onboarding, and their plan and card to the run", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor, inngest } = suite();
      const user = addUser();
      await recordSteps(user.id, "plan", "pending", "Waiting for a plan and a card");
      await recordState(user.id, "awaiting_payment", { action: { type: "choose_plan" } });
      const { page, stripe, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });

      await page.goto("/after-sign-up");
      expect(page.url()).toBe(`${appUrl}/onboarding`);
      await page.getByLabel("Card number").waitFor();
      await screenshot(page, "onboarding");

      await page.getByText("Enterprise", { exact: true }).click();
      await fillCard(page);
      await page.getByRole("button", { name: "Start free trial" }).click();
      await page.getByRole("heading", { name: "Setting up your account" }).waitFor();
      expect(inngest.eventsNamed("app/onboarding.submitted")).toContainEqual(
        expect.objectContaining({
          data: { userId: user.id, tier: "enterprise", confirmationToken: stripe.issuedTokens[0] },
        }),
      );
      await recordSteps(user.id, "plan", "done");
      await recordState(user.id, "running");
      await expect.poll(() => stepStatus(page, "plan")).toBe("done");
      await screenshot(page, "onboarding-submitted");

      // Once a run is under way, /onboarding is not for them (and the way back does not loop).
      await page.goto("/onboarding");
      expect(page.url()).toBe(`${appUrl}/after-sign-up`);
      await context.close();
    });

    it("stops polling while the tab is hidden and asks again as soon as it is visible", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro" } });
      await recordState(user.id, "running");
      const { page, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      await page.goto("/after-sign-up");
      await page.waitForTimeout(1_200);

      const setHidden = (hidden: boolean) =>
        page.evaluate((value) => {
          Object.defineProperty(document, "hidden", { value, configurable: true });
          Object.defineProperty(document, "visibilityState", {
            value: value ? "hidden" : "visible",
            configurable: true,
          });
          document.dispatchEvent(new Event("visibilitychange"));
        }, hidden);

      await setHidden(true);
      const whileHidden = countPolls(page);
      await page.waitForTimeout(2_000);
      expect(whileHidden()).toBe(0);

      const afterVisible = countPolls(page);
      await setHidden(false);
      await expect.poll(afterVisible, { timeout: 1_000 }).toBeGreaterThan(0);
      await context.close();
    });

    it("looks right on a phone", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ unsafe_metadata: { tier: "pro" } });
      await recordState(user.id, "running");
      await recordSteps(user.id, ["plan", "customer"], "done");
      await recordSteps(user.id, "payment-method", "running");
      const phone = { width: 390, height: 844 };
      const signedIn = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
        viewport: phone,
      });
      await signedIn.page.goto("/after-sign-up");
      await screenshot(signedIn.page, "progress-mobile");
      const overflow = await signedIn.page.evaluate(
        () => document.documentElement.scrollWidth > window.innerWidth,
      );
      expect(overflow).toBe(false);
      await signedIn.context.close();

      const visitor = await visit(browser, { appUrl, clerkApi, viewport: phone });
      await visitor.page.goto("/sign-up");
      await visitor.page.getByLabel("Card number").waitFor();
      await screenshot(visitor.page, "sign-up-mobile");
      expect(
        await visitor.page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth),
      ).toBe(false);
      await visitor.context.close();
    });
  });
}
