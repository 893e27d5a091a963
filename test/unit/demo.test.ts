import { describe, expect, it } from "vitest";
import { vendorsToSimulate } from "@/lib/demo";

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
});
