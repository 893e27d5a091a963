import { afterEach, describe, expect, it, vi } from "vitest";
import { InngestSim } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

// The Inngest client checkpoints (steps run one after another in a request, each reported to
// Inngest's API) and hands a run back to Inngest after INNGEST_CHECKPOINT_MAX_RUNTIME.
setupVendors();
afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

/** The requests Inngest made to run a three-step function on the client as configured. */
async function requestsWith(maxRuntime: string) {
  vi.stubEnv("INNGEST_CHECKPOINT_MAX_RUNTIME", maxRuntime);
  vi.resetModules();
  const { inngest } = await import("@/inngest/client");
  const slowStep = () => new Promise((resolve) => setTimeout(() => resolve("done"), 20));
  const fn = inngest.createFunction(
    { id: "three-slow-steps", triggers: [{ event: "test/three-slow-steps" }] },
    async ({ step }) => {
      for (const id of ["one", "two", "three"]) await step.run(id, slowStep);
      return "finished";
    },
  );
  const sim = new InngestSim({ functions: [fn], mode: "checkpointing" });
  const run = sim.start(fn, { name: "test/three-slow-steps", data: {} });
  await sim.settle();
  expect(run.result).toBe("finished");
  return sim.history.filter((entry) => entry.type === "request-sent").length;
}

describe("the Inngest client", () => {
  it("runs a run's steps in one request with no max runtime (a long-running server)", async () => {
    expect(await requestsWith("0")).toBe(1);
  });

  it("hands the run back to Inngest once a request has run for INNGEST_CHECKPOINT_MAX_RUNTIME", async () => {
    // Past 10 ms after each step: the next is planned and asked for in a request of its own.
    expect(await requestsWith("10ms")).toBeGreaterThan(1);
  });
});
