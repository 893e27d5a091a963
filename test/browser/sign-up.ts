import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshot, visit } from "./support/browser";
import type { BrowserSuite } from "./support/suite";

export async function fillCard(
  page: Page,
  card: { number?: string; expiry?: string; cvc?: string } = {},
) {
  await page.getByLabel("Card number").fill(card.number ?? "4242 4242 4242 4242");
  await page.getByLabel("Expiration date").fill(card.expiry ?? "12 / 34");
  await page.getByLabel("Security code").fill(card.cvc ?? "123");
}

const fieldError = (page: Page, id: string) => page.locator(`#${id}`);

export function signUpTests(suite: () => BrowserSuite) {
  describe("sign-up", () => {
    it("checks the form, shows Stripe's and Clerk's errors in plain words, and keeps what was entered", async () => {
      const { appUrl, clerkApi, browser, addUser } = suite();
      const taken = addUser();
      const { page, clerk, stripe, context } = await visit(browser, { appUrl, clerkApi });
      await page.goto("/sign-up");
      await page.getByLabel("Card number").waitFor();
      await screenshot(page, "sign-up");

      // Nothing entered: our own check, nothing sent anywhere.
      await page.getByRole("button", { name: "Start free trial" }).click();
      await expect
        .poll(() => fieldError(page, "email-error").textContent())
        .toBe("Enter your email address, like name@example.com.");
      expect(await page.getByLabel("Work email").getAttribute("aria-invalid")).toBe("true");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("email");

      // An incomplete card: Stripe's words, and Clerk is not asked.
      await page.getByLabel("Work email").fill(taken.email);
      await fillCard(page, { number: "4242 4242" });
      await page.getByRole("button", { name: "Start free trial" }).click();
      await expect
        .poll(() => fieldError(page, "card-error").textContent())
        .toBe("Your card number is incomplete.");
      expect(stripe.named("createConfirmationToken")).toHaveLength(0);
      expect(clerk.named("signUp.create")).toHaveLength(0);

      // A taken email: Clerk's error under the field, in plain words, with the way out.
      await fillCard(page);
      await page.getByRole("button", { name: "Start free trial" }).click();
      await expect
        .poll(() => fieldError(page, "email-error").textContent())
        .toContain("An account with this email already exists. Sign in instead.");
      expect(await page.getByRole("link", { name: "Go to sign in" }).getAttribute("href")).toBe(
        "/sign-in",
      );
      expect(await page.getByLabel("Card number").inputValue()).toBe("4242 4242 4242 4242");
      expect(await fieldError(page, "card-error").count()).toBe(0);
      await screenshot(page, "sign-up-errors");

      // A Clerk error that is not about a field goes to the top of the form.
      clerk.failNext("signUp.sendEmailCode", 429, "too_many_requests", "Too many requests.");
      await page.getByLabel("Work email").fill(`fixed-${taken.email}`);
      await page.getByRole("button", { name: "Start free trial" }).click();
      await page.getByRole("alert").filter({ hasText: "Too many attempts" }).waitFor();

      // Going back from the code step keeps the email, the plan and the card.
      await page.getByRole("button", { name: "Start free trial" }).click();
      await page.getByRole("heading", { name: "Check your email" }).waitFor();
      await page.getByRole("button", { name: "Use a different email" }).click();
      expect(await page.getByLabel("Work email").inputValue()).toBe(`fixed-${taken.email}`);
      expect(await page.getByLabel("Card number").inputValue()).toBe("4242 4242 4242 4242");
      expect(await page.evaluate(() => document.activeElement?.id)).toBe("email");
      await context.close();
    });

    it("sends email, plan and card to Clerk as unsafeMetadata, verifies the code and lands on the progress page", async () => {
      const { appUrl, clerkApi, browser } = suite();
      const { page, clerk, stripe, context, offsite } = await visit(browser, { appUrl, clerkApi });
      await page.clock.install();
      await page.goto("/sign-up");
      const email = `new-${Date.now()}@example.com`;

      // Keyboard only: email, then the plan radios (arrow keys), then the card.
      await page.getByLabel("Work email").fill(email);
      await page.getByRole("radio", { name: /^Pro/ }).focus();
      await page.keyboard.press("ArrowRight");
      expect(await page.getByRole("radio", { name: /^Enterprise/ }).isChecked()).toBe(true);
      await fillCard(page, { number: "4000 0025 0000 3155" });

      // A double click submits once.
      const submit = page.getByRole("button", { name: "Start free trial" });
      await submit.dblclick();
      await page.getByRole("heading", { name: "Check your email" }).waitFor();
      expect(clerk.named("signUp.create")).toHaveLength(1);
      expect(clerk.codesSentTo).toEqual([email]);
      await screenshot(page, "sign-up-code");

      // What the browser sent: Stripe got the card in deferred setup mode and returned a
      // ConfirmationToken; Clerk got exactly that token and the tier key, nothing else.
      expect(stripe.named("elements.create")[0]?.payload.elementsOptions).toMatchObject({
        mode: "setup",
        currency: "usd",
      });
      const [tokenCall] = stripe.named("createConfirmationToken");
      expect(tokenCall?.payload).toMatchObject({
        card: { number: "4000 0025 0000 3155", expiry: "12 / 34", cvc: "123" },
        params: {
          return_url: `${appUrl}/after-sign-up`,
          payment_method_data: { billing_details: { email } },
        },
      });
      const [confirmationToken] = stripe.issuedTokens;
      expect(confirmationToken).toMatch(/^ctoken_/);
      expect(clerk.named("signUp.create")[0]?.payload.params).toEqual({
        emailAddress: email,
        unsafeMetadata: { tier: "enterprise", confirmationToken },
      });

      // A wrong code: Clerk's error under the field, the code selected for retyping.
      await page.getByLabel("Verification code").fill("000000");
      await page.getByRole("button", { name: "Verify email" }).click();
      await expect
        .poll(() => fieldError(page, "code-error").textContent())
        .toBe("That code isn't right. Check the latest email from us and try again.");
      await screenshot(page, "sign-up-code-error");

      // Resending waits out its cooldown, then sends another code.
      const resend = page.getByRole("button", { name: /Resend code/ });
      expect(await resend.isDisabled()).toBe(true);
      await page.clock.fastForward(31_000);
      await expect.poll(() => resend.isDisabled()).toBe(false);
      await resend.click();
      await page.getByText(`We sent a new code to ${email}.`).waitFor();
      expect(clerk.codesSentTo).toEqual([email, email]);

      await page.getByLabel("Verification code").fill(clerk.code);
      await page.getByRole("button", { name: "Verify email" }).click();
      await page.waitForURL(`${appUrl}/after-sign-up`);
      await page.getByRole("heading", { name: "Setting up your account" }).waitFor();

      // The user Clerk created carries the same metadata, and the session is theirs.
      const [created] = [...clerkApi.users.values()].filter((user) =>
        user.email_addresses.some((address) => address.email_address === email),
      );
      expect(created?.unsafe_metadata).toEqual({ tier: "enterprise", confirmationToken });
      expect(clerk.named("session.activate")[0]?.payload.sessionId).toBe(`sess_${created?.id}`);
      expect(offsite.every((url) => url.startsWith("https://clerk.onramp.test/npm/"))).toBe(true);
      await context.close();
    });

    it("signs in by email code and continues to where the visitor was going", async () => {
      const { appUrl, clerkApi, browser, addUser } = suite();
      const user = addUser({ public_metadata: { onboardingComplete: true, tier: "pro" } });
      const { page, clerk, context } = await visit(browser, { appUrl, clerkApi });

      await page.goto("/dashboard");
      expect(page.url()).toBe(`${appUrl}/sign-in?redirect_url=%2Fdashboard`);
      await screenshot(page, "sign-in");

      await page.getByLabel("Email").fill("nobody@example.com");
      await page.getByRole("button", { name: "Email me a sign-in code" }).click();
      await expect
        .poll(() => fieldError(page, "email-error").textContent())
        .toBe("No account uses this email. Check it, or create an account.");

      await page.getByLabel("Email").fill(user.email);
      await page.getByRole("button", { name: "Email me a sign-in code" }).click();
      await page.getByLabel("Verification code").fill(clerk.code);
      await page.getByRole("button", { name: "Verify email" }).click();
      await page.waitForURL(`${appUrl}/dashboard`);
      await page.getByRole("heading", { name: "Dashboard" }).waitFor();
      expect(clerk.named("signIn.create")[1]?.payload.params).toEqual({ identifier: user.email });
      await context.close();
    });
  });
}
