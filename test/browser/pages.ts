import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { plans } from "@/lib/billing/plans";
import { screenshot, visit } from "./support/browser";
import type { BrowserSuite } from "./support/suite";

const phone = { width: 390, height: 844 };
const overflows = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

/** The header every page shares: the logo home, and the legal links in the footer. */
async function expectSiteChrome(page: Page) {
  expect(
    await page.locator("header").getByRole("link", { name: "onramp" }).getAttribute("href"),
  ).toBe("/");
  const legal = page.getByRole("navigation", { name: "Legal" });
  expect(await legal.getByRole("link", { name: "Terms of Service" }).getAttribute("href")).toBe(
    "/terms",
  );
  expect(await legal.getByRole("link", { name: "Privacy Policy" }).getAttribute("href")).toBe(
    "/privacy",
  );
}

export function pageTests(suite: () => BrowserSuite) {
  describe("public pages", () => {
    it("home: what onramp does, the plans from the catalogue, the way in", async () => {
      const { appUrl, clerkApi, browser } = suite();
      for (const [name, viewport] of [
        ["home", undefined],
        ["home-mobile", phone],
      ] as const) {
        const { page, context } = await visit(browser, { appUrl, clerkApi, viewport });
        await page.goto("/");
        await page.getByRole("heading", { level: 1 }).waitFor();
        await expectSiteChrome(page);
        await page.getByRole("heading", { name: "How it works" }).waitFor();
        for (const [tier, plan] of Object.entries(plans)) {
          const card = page.locator(`[data-plan="${tier}"]`);
          expect(await card.textContent()).toContain(plan.name);
          expect(await card.textContent()).toContain(`${plan.monthlyPrice}/month`);
          expect(await card.textContent()).toContain("Free for 14 days");
          expect(
            await page.getByRole("link", { name: `Start with ${plan.name}` }).getAttribute("href"),
          ).toBe(`/sign-up?plan=${tier}`);
        }
        expect(
          await page.locator("header").getByRole("link", { name: "Sign in" }).getAttribute("href"),
        ).toBe("/sign-in");
        expect(await overflows(page)).toBe(false);
        await screenshot(page, name);
        await context.close();
      }

      // A plan chosen on the home page is the one picked on the sign-up form.
      const { page, context } = await visit(browser, { appUrl, clerkApi });
      await page.goto("/");
      await page.getByRole("link", { name: "Start with Enterprise" }).click();
      await page.waitForURL(`${appUrl}/sign-up?plan=enterprise`);
      expect(await page.getByRole("radio", { name: /^Enterprise/ }).isChecked()).toBe(true);
      await context.close();
    });

    it("an unknown address: a 404 with the site's header and a way back", async () => {
      const { appUrl, clerkApi, browser } = suite();
      const { page, context } = await visit(browser, { appUrl, clerkApi });
      const response = await page.goto("/no-such-page");
      expect(response?.status()).toBe(404);
      await page.getByRole("heading", { name: "We can't find that page" }).waitFor();
      await expectSiteChrome(page);
      expect(
        await page.getByRole("link", { name: "Go to the home page" }).getAttribute("href"),
      ).toBe("/");
      await screenshot(page, "not-found");
      await context.close();
    });

    it("terms and privacy: short placeholders, marked as such, with the support address", async () => {
      const { appUrl, clerkApi, browser } = suite();
      const { page, context } = await visit(browser, { appUrl, clerkApi, viewport: phone });
      for (const [path, title] of [
        ["/terms", "Terms of Service"],
        ["/privacy", "Privacy Policy"],
      ] as const) {
        await page.goto(path);
        await page.getByRole("heading", { name: title, level: 1 }).waitFor();
        expect(await page.getByText(`app${path}/page.tsx`).count()).toBe(1);
        expect(await page.getByRole("link", { name: "support@onramp.test" }).count()).toBe(1);
        expect(await overflows(page)).toBe(false);
        await screenshot(page, path.slice(1));
      }
      await context.close();
    });

    it("sign-up: terms and privacy consent next to the card field, opening in a new tab", async () => {
      const { appUrl, clerkApi, browser } = suite();
      const { page, context } = await visit(browser, { appUrl, clerkApi });
      await page.goto("/sign-up?plan=enterprise");
      await page.getByLabel("Card number").waitFor();
      const consent = page.getByTestId("terms-consent");
      expect(await consent.textContent()).toContain(
        "You allow us to charge this card $99 a month for Enterprise from the end of your 14-day trial until you cancel.",
      );
      for (const [name, href] of [
        ["Terms of Service", "/terms"],
        ["Privacy Policy", "/privacy"],
      ]) {
        const link = consent.getByRole("link", { name });
        expect(await link.getAttribute("href")).toBe(href);
        expect(await link.getAttribute("target")).toBe("_blank");
      }
      // Between the card field and the button that submits it.
      const order = await page.evaluate(() => {
        const all = [...document.querySelectorAll("*")];
        const at = (selector: string) => all.indexOf(document.querySelector(selector)!);
        return [
          at('[aria-labelledby="card-label"]'),
          at('[data-testid="terms-consent"]'),
          at('form[aria-label="Sign up"] button[type="submit"]'),
        ];
      });
      expect(order).toEqual([...order].sort((a, b) => a - b));
      await page.getByText("Pro", { exact: true }).click();
      expect(await consent.textContent()).toContain("$29 a month for Pro");
      await consent.scrollIntoViewIfNeeded();
      await screenshot(page, "sign-up-consent");
      await context.close();
    });
  });
}
