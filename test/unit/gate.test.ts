import { AsyncLocalStorage } from "node:async_hooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nextPollDelay, polling, stallThresholdMs } from "@/app/_lib/polling";
import { onboardingCompleteIn, redirectFor, type Visitor } from "@/lib/onboarding/gate";

const visitors: Record<string, Visitor> = {
  "signed out": { kind: "signed-out" },
  pending: { kind: "pending" },
  "signed in, not onboarded": { kind: "signed-in", onboardingComplete: false },
  onboarded: { kind: "signed-in", onboardingComplete: true },
};
const pages = [
  "/",
  "/sign-in",
  "/sign-up",
  "/after-sign-up",
  "/onboarding",
  "/dashboard",
  "/dashboard/x",
  "/org/licensing",
];

describe("redirectFor", () => {
  it.each([
    ["signed out", "/dashboard", "/sign-in?redirect_url=%2Fdashboard%3Ftab%3D1"],
    ["signed out", "/after-sign-up", "/sign-in?redirect_url=%2Fafter-sign-up%3Ftab%3D1"],
    ["signed out", "/org/licensing", "/sign-in?redirect_url=%2Forg%2Flicensing%3Ftab%3D1"],
    ["signed out", "/sign-up", null],
    ["signed out", "/", null],
    ["pending", "/dashboard", "/sign-in?redirect_url=%2Fdashboard%3Ftab%3D1"],
    ["pending", "/sign-in", null],
    ["signed in, not onboarded", "/dashboard/settings", "/after-sign-up"],
    ["signed in, not onboarded", "/sign-in", "/after-sign-up"],
    ["signed in, not onboarded", "/org/licensing", "/after-sign-up"],
    ["signed in, not onboarded", "/onboarding", null],
    ["signed in, not onboarded", "/after-sign-up", null],
    ["onboarded", "/after-sign-up", "/dashboard"],
    ["onboarded", "/onboarding", "/dashboard"],
    ["onboarded", "/sign-up", "/dashboard"],
    ["onboarded", "/dashboard", null],
    ["onboarded", "/org/licensing", null],
    ["onboarded", "/organizations", null],
    ["onboarded", "/dashboards", null],
  ])("%s at %s → %s", (who, path, target) => {
    expect(redirectFor(path, "?tab=1", visitors[who]!)).toBe(target);
  });

  it("never redirects twice: wherever it sends a visitor, it lets them stay", () => {
    for (const visitor of Object.values(visitors)) {
      for (const path of pages) {
        const target = redirectFor(path, "", visitor);
        if (target)
          expect(redirectFor(new URL(target, "http://x").pathname, "", visitor)).toBeNull();
      }
    }
  });
});

describe("claims and redirect targets", () => {
  it("reads onboardingComplete only as a true boolean inside metadata", () => {
    expect(onboardingCompleteIn({ metadata: { onboardingComplete: true } })).toBe(true);
    expect(onboardingCompleteIn({ metadata: { onboardingComplete: "true" } })).toBe(false);
    expect(onboardingCompleteIn({ onboardingComplete: true })).toBe(false);
    expect(onboardingCompleteIn(null)).toBe(false);
  });
});

describe("polling schedule", () => {
  it("is fast after a change, then backs off to the slowest interval, then stops", () => {
    expect(nextPollDelay(null, 0)).toBe(polling.fastMs);
    expect(nextPollDelay(polling.fastMs, polling.fastForMs - 1)).toBe(polling.fastMs);
    const delays: number[] = [];
    let delay: number | null = polling.fastMs;
    while (delays.length < 20 && delay !== null) {
      delay = nextPollDelay(delay, polling.fastForMs + 1);
      if (delay !== null) delays.push(delay);
    }
    expect(delays[0]).toBe(polling.fastMs * polling.growth);
    expect(delays.at(-1)).toBe(polling.slowestMs);
    expect([...delays].sort((a, b) => a - b)).toEqual(delays);
    expect(nextPollDelay(polling.slowestMs, polling.giveUpAfterMs)).toBeNull();
  });

  it("lets ?stall= lower the stall threshold, never raise or remove it", () => {
    expect(stallThresholdMs("3")).toBe(3_000);
    expect(stallThresholdMs("100000")).toBe(polling.stallAfterMs);
    for (const value of [null, "", "0", "-5", "abc", "Infinity"]) {
      expect(stallThresholdMs(value)).toBe(polling.stallAfterMs);
    }
  });
});

describe("proxy.ts", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  async function loadProxy() {
    // next/server's testing helpers expect the AsyncLocalStorage Next's runtime provides.
    Object.assign(globalThis, { AsyncLocalStorage });
    const { unstable_doesMiddlewareMatch } = await import("next/experimental/testing/server");
    const proxy = await import("@/proxy");
    return {
      ...proxy,
      matches: (url: string) => unstable_doesMiddlewareMatch({ config: proxy.config, url }),
    };
  }

  it("runs on pages and the API, but never on the Inngest endpoint or the webhooks", async () => {
    const { matches } = await loadProxy();
    for (const url of ["/", "/dashboard", "/sign-in", "/api/health", "/api/onboarding/status"]) {
      expect(matches(url), url).toBe(true);
    }
    for (const url of [
      "/api/inngest",
      "/api/inngest?fnId=x&stepId=y",
      "/api/webhooks/clerk",
      "/api/webhooks/stripe",
      "/_next/static/chunk.js",
      "/favicon.ico",
    ]) {
      expect(matches(url), url).toBe(false);
    }
  });

  it("lets every request through when Clerk is not configured (zero-account npm run dev)", async () => {
    vi.stubEnv("NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY", "");
    vi.stubEnv("CLERK_SECRET_KEY", "");
    const { default: proxy } = await loadProxy();
    const { NextRequest } = await import("next/server");
    for (const path of ["/dashboard", "/after-sign-up", "/api/health"]) {
      const response = await proxy(new NextRequest(`http://localhost:3000${path}`), {
        waitUntil: () => {},
      } as never);
      expect(response?.headers.get("x-middleware-next"), path).toBe("1");
      expect(response?.headers.get("location"), path).toBeNull();
    }
  });
});
