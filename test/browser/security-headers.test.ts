import { describe, expect, it } from "vitest";
import { screenshot, visit } from "./support/browser";
import { setupBrowserSuite } from "./support/suite";

// The headers every response of the built app carries (issue 22), checked over HTTP on every
// page and route of `next start`, and what they mean in Chromium: no page renders inside a frame
// of another origin, so the card form cannot be clickjacked.

const suite = setupBrowserSuite();

const required: Record<string, RegExp> = {
  "content-security-policy": /(^|;\s*)frame-ancestors 'none'(;|$)/,
  "x-frame-options": /^DENY$/,
  "x-content-type-options": /^nosniff$/,
  "referrer-policy": /^strict-origin-when-cross-origin$/,
  "strict-transport-security": /^max-age=\d{8,}; includeSubDomains$/,
};

describe("security headers", () => {
  it("are on every page, route and file, with no X-Powered-By", async () => {
    const { appUrl, tokenFor, addUser } = suite();
    const user = addUser({ unsafe_metadata: { tier: "pro" } });
    const signedIn = { authorization: `Bearer ${tokenFor(user.id)}` };
    const home = await (await fetch(appUrl)).text();
    const asset = /\/_next\/static\/[^"']+\.(?:js|css)/.exec(home)?.[0];
    expect(asset, "a static file the home page loads").toBeDefined();

    const requests: [string, string, RequestInit?][] = [
      // Pages, signed out (some redirect to sign-in: the redirect carries them too).
      ...["/", "/sign-up", "/sign-in", "/after-sign-up", "/onboarding", "/dashboard"].map(
        (path) => ["GET", path] as [string, string],
      ),
      ...["/org/licensing", "/terms", "/privacy", "/dev/emails", "/no-such-page"].map(
        (path) => ["GET", path] as [string, string],
      ),
      // Routes, each in the answers it gives.
      ["GET", "/api/health"],
      ["GET", "/api/onboarding/status"],
      ["GET", "/api/onboarding/status", { headers: signedIn }],
      ["GET", "/api/inngest"],
      ["POST", "/api/webhooks/clerk", { body: "{}" }],
      ["POST", "/api/webhooks/stripe", { body: "{}" }],
      ["GET", asset!],
    ];
    const seen: string[] = [];
    for (const [method, path, init] of requests) {
      const response = await fetch(new URL(path, appUrl), { method, redirect: "manual", ...init });
      const what = `${method} ${path} (${response.status})`;
      seen.push(what);
      for (const [name, pattern] of Object.entries(required)) {
        expect(response.headers.get(name), `${name} on ${what}`).toMatch(pattern);
      }
      expect(response.headers.get("x-powered-by"), what).toBeNull();
      await response.arrayBuffer();
    }
    // The answers cover redirects, errors and a 404, not only pages that render.
    expect(seen.join("\n")).toMatch(/\(30[27]\)/);
    expect(seen.join("\n")).toMatch(/\(401\)/);
    expect(seen.join("\n")).toMatch(/\(404\)/);
  });

  it("keep the card form from rendering inside a frame of another origin", async () => {
    const { browser, appUrl, clerkApi } = suite();
    const { context, page } = await visit(browser, { appUrl, clerkApi });
    try {
      // At the top level the form is there.
      await page.goto("/sign-up");
      await page.getByLabel("Card number").waitFor();

      // A page elsewhere frames the sign-up page: Chromium shows an error page in its place.
      const attacker = "http://attacker.test/";
      await context.route(attacker, (route) =>
        route.fulfill({
          contentType: "text/html",
          body: `<!doctype html><title>Win a prize</title><iframe src="${appUrl}/sign-up" width="1000" height="800"></iframe>`,
        }),
      );
      await page.goto(attacker);
      const framed = page.frames().find((frame) => frame !== page.mainFrame())!;
      await expect.poll(() => framed.url()).toBe("chrome-error://chromewebdata/");
      expect(await framed.getByLabel("Card number").count()).toBe(0);
      await screenshot(page, "framed-sign-up-refused");

      // The same answer without the two headers renders inside the frame: they are what refuses it.
      await context.route(`${appUrl}/sign-up`, async (route) => {
        const response = await route.fetch();
        const headers = { ...response.headers() };
        delete headers["content-security-policy"];
        delete headers["x-frame-options"];
        await route.fulfill({ response, headers });
      });
      await page.goto(attacker);
      const shown = page.frames().find((frame) => frame !== page.mainFrame())!;
      await shown.getByLabel("Card number").waitFor();
    } finally {
      await context.close();
    }
  });
});
