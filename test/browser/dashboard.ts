import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { users } from "@/lib/db/schema";
import { screenshot, visit } from "./support/browser";
import type { BrowserSuite } from "./support/suite";

const dayMs = 24 * 60 * 60 * 1000;

export function dashboardTests(suite: () => BrowserSuite) {
  describe("dashboard", () => {
    it("shows the plan, the trial's end and status, and opens Stripe's billing portal", async () => {
      const { appUrl, clerkApi, stripeApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ public_metadata: { onboardingComplete: true, tier: "enterprise" } });
      const customer = stripeApi.createCustomer({ email: user.email });
      const trialEndsAt = new Date(Date.now() + 12 * dayMs - 60_000);
      await (await getDb()).insert(users).values({
        clerkUserId: user.id,
        email: user.email,
        tier: "enterprise",
        stripeCustomerId: customer.id,
        subscriptionStatus: "trialing",
        trialEndsAt,
      });

      const { page, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      await page.goto("/dashboard");
      await page.getByText("Enterprise", { exact: true }).waitFor();
      expect(await page.getByTestId("subscription-status").textContent()).toBe("Free trial");
      await page.getByText("12 days left in your trial").waitFor();
      const ends = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" }).format(
        trialEndsAt,
      );
      expect(await page.getByText(`Ends ${ends}`).count()).toBe(1);
      await screenshot(page, "dashboard");

      await page.getByRole("button", { name: "Manage billing" }).click();
      await page.waitForURL(/^https:\/\/billing\.stripe\.com\/p\/session\//);
      const [portal] = stripeApi.requests.filter((r) => r.path === "/v1/billing_portal/sessions");
      expect(portal?.body).toEqual({ customer: customer.id, return_url: `${appUrl}/dashboard` });
      expect(stripeApi.violations).toEqual([]);
      await context.close();
    });

    it("says when the subscription has not arrived yet, and keeps billing closed until it has", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ public_metadata: { onboardingComplete: true, tier: "pro" } });
      const { page, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id),
      });
      await page.goto("/dashboard");
      await page.getByText("Your subscription details are on their way").waitFor();
      expect(await page.getByText("Pro", { exact: true }).count()).toBe(1);
      expect(await page.getByRole("button", { name: "Manage billing" }).isDisabled()).toBe(true);
      await screenshot(page, "dashboard-subscription-pending");
      await context.close();
    });
  });
}
