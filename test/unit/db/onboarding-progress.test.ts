import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { getDb } from "@/lib/db/client";
import { driverUnderTest } from "@/test/support/driver-under-test";
import { onboarding } from "@/lib/db/schema";
import {
  claimOnboarding,
  markRunFailed,
  recordFailure,
  recordState,
  recordSteps,
} from "@/lib/onboarding/progress";
import { onboardingStatus } from "@/lib/onboarding/status";

// Runs on PGlite, on a real server through node-postgres, and through the production Neon HTTP
// driver (neon-http project): every write of the onboarding record must be one statement that
// driver can send.

const newUserId = () => `user_${randomUUID().replaceAll("-", "")}`;

const rowOf = async (userId: string) =>
  (await (await getDb()).select().from(onboarding).where(eq(onboarding.clerkUserId, userId)))[0];

describe(`onboarding progress (${driverUnderTest})`, () => {
  it("lets one run own a user's onboarding: the same run again, another only after a failure", async () => {
    const userId = newUserId();
    expect(await claimOnboarding(userId, "run_a")).toBe("first");
    expect(await claimOnboarding(userId, "run_a")).toBe("first");
    expect(await claimOnboarding(userId, "run_b")).toBe(null);
    expect(await rowOf(userId)).toMatchObject({ runId: "run_a", state: "running" });

    await recordState(userId, "complete");
    expect(await claimOnboarding(userId, "run_b")).toBe(null);

    await recordFailure(userId, "subscription", "Stripe refused the request");
    expect(await claimOnboarding(userId, "run_b")).toBe("rerun");
    expect(await claimOnboarding(userId, "run_b")).toBe("rerun");
    expect(await rowOf(userId)).toMatchObject({ runId: "run_b", state: "running", reason: null });
  });

  it("upserts several steps in one statement, each step keeping its latest status and reason", async () => {
    const userId = newUserId();
    await recordSteps(userId, ["plan", "customer"], "running");
    await recordSteps(userId, "customer", "failed", "Stripe is down");
    await recordSteps(userId, "customer", "done");

    const { steps } = await onboardingStatus(userId);
    expect(steps.slice(0, 3)).toEqual([
      { id: "plan", label: "Choose a plan and card", status: "running", at: expect.any(String) },
      {
        id: "customer",
        label: "Create your billing account",
        status: "done",
        at: expect.any(String),
      },
      { id: "payment-method", label: "Save your card", status: "pending", at: null },
    ]);
  });

  it("records the state with its reason and action, clearing both when the state moves on", async () => {
    const userId = newUserId();
    await recordState(userId, "action_required", {
      reason: "Confirm the card",
      action: { type: "confirm_setup", clientSecret: "seti_1_secret_2" },
    });
    expect(await onboardingStatus(userId)).toMatchObject({
      state: "action_required",
      reason: "Confirm the card",
      action: { type: "confirm_setup", clientSecret: "seti_1_secret_2" },
    });

    await recordState(userId, "running");
    const status = await onboardingStatus(userId);
    expect(status.state).toBe("running");
    expect(status).not.toHaveProperty("reason");
    expect(status).not.toHaveProperty("action");
  });

  it("marks a failed run's unfinished steps failed, unless another run has taken over", async () => {
    const userId = newUserId();
    await claimOnboarding(userId, "run_a");
    await recordSteps(userId, ["plan", "customer"], "done");
    await recordSteps(userId, "payment-method", "running");
    await recordSteps(userId, "welcome-email", "running");

    await markRunFailed(userId, "run_other", "Out of retries");
    expect((await onboardingStatus(userId)).state).toBe("running");

    await markRunFailed(userId, "run_a", "Out of retries");
    const status = await onboardingStatus(userId);
    expect(status).toMatchObject({ state: "failed", reason: "Out of retries" });
    const byId = Object.fromEntries(status.steps.map((s) => [s.id, s.status]));
    expect(byId).toMatchObject({
      plan: "done",
      customer: "done",
      "payment-method": "failed",
      // The welcome email belongs to its own workflow.
      "welcome-email": "running",
    });
  });
});
