import { describe, expect, it } from "vitest";
import type { ProgressRunner, TrackedStep } from "@/inngest/steps/progress";
import { numbered } from "@/inngest/steps/step-id";

const recordPayment: (
  userId: string,
  result: { status: "succeeded" | "failed" },
) => Promise<void> = async () => {};

/** A tracked step whose recorder takes a payment's result. */
const payment = {
  id: "pay-invoice",
  step: "subscription",
  record: recordPayment,
} satisfies TrackedStep<never>;

describe("tracked steps", () => {
  it("keep the first attempt's id plain and number later ones", () => {
    expect(numbered("confirm-setup-intent", 1)).toBe("confirm-setup-intent");
    expect(numbered("confirm-setup-intent", 2)).toBe("confirm-setup-intent-2");
  });

  it("run only work whose result their recorder takes (checked by npm run typecheck)", () => {
    // Never called: `tsc` fails when a line marked @ts-expect-error compiles.
    const compiles = (track: ProgressRunner) => {
      void track(payment, async () => ({ status: "succeeded" as const, paymentMethodId: "pm_1" }));
      // @ts-expect-error: the recorder takes a status, and the work returns a string
      void track(payment, async () => "paid");
      // @ts-expect-error: a tracked step is declared with its progress, not named by its id alone
      void track("pay-invoice", async () => ({ status: "succeeded" as const }));
    };
    expect(compiles).toBeTypeOf("function");
  });
});
