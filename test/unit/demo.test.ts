import { describe, expect, it } from "vitest";
import { liveKeysInDemo, vendorsToSimulate } from "@/lib/demo";

const noDevServer = { inngestDevServerAnswers: false };

describe("lib/demo: which vendors npm run dev simulates", () => {
  it("simulates every vendor when no key is set and no Inngest dev server answers", () => {
    expect(vendorsToSimulate({}, noDevServer)).toEqual(["clerk", "stripe", "resend", "inngest"]);
  });

  it("runs workflows on an Inngest dev server that answers, or on the one INNGEST_BASE_URL names", () => {
    expect(vendorsToSimulate({}, { inngestDevServerAnswers: true })).toEqual([
      "clerk",
      "stripe",
      "resend",
    ]);
    expect(vendorsToSimulate({ INNGEST_BASE_URL: "http://inngest.internal" }, noDevServer)).toEqual(
      ["clerk", "stripe", "resend"],
    );
  });

  it("switches each vendor with a key to the real one, and is off when Clerk and Stripe both have keys", () => {
    expect(vendorsToSimulate({ CLERK_SECRET_KEY: "sk_test_x" }, noDevServer)).toEqual([
      "stripe",
      "resend",
      "inngest",
    ]);
    expect(
      vendorsToSimulate({ STRIPE_SECRET_KEY: "sk_test_x", RESEND_API_KEY: "re_x" }, noDevServer),
    ).toEqual(["clerk", "inngest"]);
    expect(
      vendorsToSimulate(
        { NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY: "pk_test_x", STRIPE_SECRET_KEY: "sk_test_x" },
        noDevServer,
      ),
    ).toEqual([]);
  });

  it("is off when asked (ONRAMP_DEMO=off) and in production", () => {
    expect(vendorsToSimulate({ ONRAMP_DEMO: "off" }, noDevServer)).toEqual([]);
    expect(vendorsToSimulate({ NODE_ENV: "production" }, noDevServer)).toEqual([]);
  });

  it("refuses live keys in any demo, full or partial, naming the variable and the fix", () => {
    const cases: [Record<string, string>, string][] = [
      // Clerk simulated (anyone gets in) while real cards are charged.
      [{ STRIPE_SECRET_KEY: "sk_live_abc" }, "STRIPE_SECRET_KEY (sk_live_…)"],
      [{ NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY: "pk_live_abc" }, "NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY"],
      [{ STRIPE_SECRET_KEY: "rk_live_abc" }, "STRIPE_SECRET_KEY (rk_live_…)"],
      // Real Clerk users marked onboarded after a fake card.
      [{ CLERK_SECRET_KEY: "sk_live_abc" }, "CLERK_SECRET_KEY (sk_live_…)"],
      // A full demo with a live key lying around under any name.
      [{ MY_OLD_STRIPE_KEY: "sk_live_abc" }, "MY_OLD_STRIPE_KEY"],
    ];
    for (const [vars, named] of cases) {
      const simulated = vendorsToSimulate(vars, noDevServer);
      expect(simulated.length, JSON.stringify(vars)).toBeGreaterThan(0);
      const problem = liveKeysInDemo(vars, simulated);
      expect(problem).toContain(named);
      expect(problem).toMatch(/Use test-mode keys locally/);
      expect(problem).not.toContain("sk_live_abc");
    }
  });

  it("lets live keys be when nothing is simulated, and test keys in any demo", () => {
    const live = { CLERK_SECRET_KEY: "sk_live_a", STRIPE_SECRET_KEY: "sk_live_b" };
    expect(liveKeysInDemo(live, vendorsToSimulate(live, noDevServer))).toBeNull();
    const test = { STRIPE_SECRET_KEY: "sk_test_x" };
    expect(liveKeysInDemo(test, vendorsToSimulate(test, noDevServer))).toBeNull();
  });
});
