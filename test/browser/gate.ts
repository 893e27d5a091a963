import type { Page, Response } from "playwright-core";
import { describe, expect, it } from "vitest";
import { screenshot, visit } from "./support/browser";
import type { BrowserSuite } from "./support/suite";

/** The redirects a navigation went through, oldest first. */
function redirectsOf(response: Response | null): string[] {
  const chain: string[] = [];
  for (
    let request = response?.request().redirectedFrom();
    request;
    request = request.redirectedFrom()
  ) {
    chain.unshift(new URL(request.url()).pathname);
  }
  return chain;
}

/** Where a page load ends up (path and query), and how many redirects it took. */
async function land(page: Page, path: string) {
  const response = await page.goto(path);
  const url = new URL(page.url());
  return { at: url.pathname + url.search, redirects: redirectsOf(response).length };
}

export function gateTests(suite: () => BrowserSuite) {
  describe("the gate (proxy.ts)", () => {
    it("sends signed-out visitors to sign in from protected pages only", async () => {
      const { appUrl, clerkApi, browser } = suite();
      const { page, context } = await visit(browser, { appUrl, clerkApi });
      expect(await land(page, "/dashboard")).toEqual({
        at: "/sign-in?redirect_url=%2Fdashboard",
        redirects: 1,
      });
      expect(await land(page, "/after-sign-up")).toEqual({
        at: "/sign-in?redirect_url=%2Fafter-sign-up",
        redirects: 1,
      });
      expect(await land(page, "/onboarding")).toEqual({
        at: "/sign-in?redirect_url=%2Fonboarding",
        redirects: 1,
      });
      for (const open of ["/", "/sign-in", "/sign-up"]) {
        expect(await land(page, open)).toEqual({ at: open, redirects: 0 });
      }
      await page.goto("/");
      await screenshot(page, "home");
      const status = await page.request.get("/api/onboarding/status", { maxRedirects: 0 });
      expect(status.status()).toBe(401);
      await context.close();
    });

    it("keeps users without onboardingComplete on the progress page, and onboarded users out of it", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const newcomer = addUser({ unsafe_metadata: { tier: "pro" } });
      const member = addUser({ public_metadata: { onboardingComplete: true, tier: "pro" } });

      const fresh = await visit(browser, { appUrl, clerkApi, token: tokenFor(newcomer.id) });
      for (const path of ["/dashboard", "/dashboard/anything", "/sign-in", "/sign-up"]) {
        expect(await land(fresh.page, path)).toEqual({ at: "/after-sign-up", redirects: 1 });
      }
      expect(await land(fresh.page, "/after-sign-up")).toEqual({
        at: "/after-sign-up",
        redirects: 0,
      });
      expect(await land(fresh.page, "/")).toEqual({ at: "/", redirects: 0 });
      await fresh.context.close();

      const onboarded = await visit(browser, { appUrl, clerkApi, token: tokenFor(member.id) });
      for (const path of ["/after-sign-up", "/onboarding", "/sign-in", "/sign-up"]) {
        expect(await land(onboarded.page, path)).toEqual({ at: "/dashboard", redirects: 1 });
      }
      expect(await land(onboarded.page, "/dashboard")).toEqual({ at: "/dashboard", redirects: 0 });
      await onboarded.context.close();
    });

    it("treats a pending session as signed out without a loop, and explains it on sign-in", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ public_metadata: { onboardingComplete: true } });
      const { page, context } = await visit(browser, {
        appUrl,
        clerkApi,
        token: tokenFor(user.id, { sts: "pending" }),
      });
      expect(await land(page, "/dashboard")).toEqual({
        at: "/sign-in?redirect_url=%2Fdashboard",
        redirects: 1,
      });
      await page.getByRole("heading", { name: "Almost signed in" }).waitFor();
      await screenshot(page, "sign-in-pending");
      expect(await land(page, "/sign-in")).toEqual({ at: "/sign-in", redirects: 0 });
      await context.close();
    });

    it("rejects a forged token and leaves the Inngest and webhook endpoints untouched", async () => {
      const { appUrl, clerkApi, browser, addUser, tokenFor } = suite();
      const user = addUser({ public_metadata: { onboardingComplete: true } });
      const forged = tokenFor(user.id).replace(/\.[^.]+$/, ".c2lnbmF0dXJl");
      const { page, context } = await visit(browser, { appUrl, clerkApi, token: forged });
      expect((await land(page, "/dashboard")).at).toBe("/sign-in?redirect_url=%2Fdashboard");

      // Clerk marks every request it authenticated; these never reach it.
      const health = await page.request.get("/api/health");
      expect(health.headers()["x-clerk-auth-status"]).toBeDefined();
      for (const path of ["/api/inngest", "/api/webhooks/clerk", "/api/webhooks/stripe"]) {
        const response = await page.request.fetch(path, { method: "POST", data: "{}" });
        expect(response.headers()["x-clerk-auth-status"], path).toBeUndefined();
        expect(response.headers()["x-clerk-auth-reason"], path).toBeUndefined();
      }
      await context.close();
    });
  });
}
