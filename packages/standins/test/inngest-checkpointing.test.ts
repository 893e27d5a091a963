import { randomUUID } from "node:crypto";
import { Inngest, type InngestFunction } from "inngest";
import { HttpResponse, http } from "msw";
import { describe, expect, it } from "vitest";
import { InngestSim, duration } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

// How the simulator runs steps as Inngest runs a v4 app's (checkpointing), and what it shares
// with the step-by-step path: the same outcome, the same `attempt` in each step, the same
// retries; and the faults production has: answers lost after a step ran, late cancellation.

const vendors = setupVendors();
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const client = new Inngest({ id: "checkpoint-test", isDev: true, logger: quiet });
const modes = ["checkpointing", "step-by-step"] as const;
const started = "test/started";
const start = (data: Record<string, unknown> = {}) => ({
  name: started,
  data: { id: `u_${randomUUID()}`, ...data },
});

/** Each step body's runs, by step id, with the `attempt` and `maxAttempts` it saw. */
let ran: { step: string; attempt: number; maxAttempts?: number }[] = [];
const ranSteps = () => ran.map((r) => r.step);

/** Three steps; "b" fails the first `failB` times it runs. */
const threeSteps = client.createFunction(
  { id: "three-steps", triggers: [{ event: started }], retries: 3 },
  async ({ event, step, attempt, maxAttempts }) => {
    const record = (name: string) => ran.push({ step: name, attempt, maxAttempts });
    const a = await step.run("a", () => (record("a"), 1));
    const b = await step.run("b", () => {
      record("b");
      const failures = ran.filter((r) => r.step === "b").length;
      if (failures <= Number(event.data.failB ?? 0)) throw new Error(`b failed (${failures})`);
      return 2;
    });
    const c = await step.run("c", () => (record("c"), 3));
    return a + b + c;
  },
);

const cancellable = client.createFunction(
  {
    id: "cancellable",
    triggers: [{ event: started }],
    cancelOn: [{ event: "test/cancel", match: "data.id" }],
  },
  async ({ event, step }) => {
    await step.run("first", () => {
      ran.push({ step: "first", attempt: 0 });
      if (event.data.cancelDuringFirst) inngest.send({ name: "test/cancel", data: event.data });
    });
    await step.run("second", () => ran.push({ step: "second", attempt: 0 }));
    await step.sleep("pause", "1h");
    await step.run("third", () => ran.push({ step: "third", attempt: 0 }));
  },
);

/** One request's worth of steps at most: the SDK hands back to Inngest after every step. */
const shortLived = new Inngest({
  id: "short-lived",
  isDev: true,
  logger: quiet,
  checkpointing: { maxRuntime: 1 },
});
const handsBack = shortLived.createFunction(
  { id: "hands-back", triggers: [{ event: started }] },
  async ({ step }) => {
    const a = await step.run("a", async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return "A";
    });
    const b = await step.run("b", () => "B");
    return a + b;
  },
);

// The simulator under test: set per test, since `cancellable` sends through it.
let inngest: InngestSim;
function simulate(
  functions: InngestFunction.Any[],
  options: Omit<ConstructorParameters<typeof InngestSim>[0], "functions"> = {},
) {
  ran = [];
  inngest = new InngestSim({ functions, ...options });
  return inngest;
}

const types = (runId: string) =>
  inngest.history.filter((h) => h.runId === runId && h.type !== "queued").map((h) => h.type);

describe("InngestSim: checkpointing, as Inngest runs v4 apps", () => {
  it("runs every step in one request, each checkpointed to Inngest's API as it ran", async () => {
    const sim = simulate([threeSteps]);
    const [run] = sim.send(start());
    await sim.settle();

    expect(sim.mode).toBe("checkpointing");
    expect(run!.result).toBe(6);
    expect(types(run!.id)).toEqual([
      "request-sent",
      ...["a", "b", "c"].flatMap(() => ["checkpoint", "step-ran"]),
      "request-answered",
      "completed",
    ]);
    // The SDK reached Inngest's API at INNGEST_BASE_URL (the stand-in behind msw).
    const checkpoints = vendors.inngest.requests.filter((r) => r.path.startsWith("/v1/checkpoint"));
    expect(checkpoints.map((r) => [r.path, r.body.steps.map((s: { op: string }) => s.op)])).toEqual(
      [1, 2, 3].map(() => [`/v1/checkpoint/${run!.id}/async`, ["StepRun"]]),
    );
    expect(checkpoints[0]!.body).toMatchObject({ run_id: run!.id, fn_id: expect.any(String) });
  });

  it("step by step: one request per step and one more for the result", async () => {
    const sim = simulate([threeSteps], { mode: "step-by-step" });
    const [run] = sim.send(start());
    await sim.settle();

    expect(run!.result).toBe(6);
    expect(types(run!.id).filter((t) => t === "request-sent")).toHaveLength(4);
    expect(types(run!.id)).not.toContain("checkpoint");
  });

  it("hands back to Inngest at maxRuntime: the next step planned, requested on its own, then checkpointing again", async () => {
    const sim = simulate([handsBack]);
    const [run] = sim.send(start());
    await sim.settle();

    expect(run!.result).toBe("AB");
    expect(run!.steps).toEqual(["a", "b"]);
    const requests = sim.history.filter((h) => h.runId === run!.id && h.type === "request-sent");
    // The discovery request, the planned step "b" requested by its hashed id, the result.
    expect(requests).toHaveLength(3);
    expect(requests[1]!.step).toEqual(expect.any(String));
  });

  it("falls back to step-by-step when Inngest's checkpoint API keeps failing, with the same outcome", async () => {
    const sim = simulate([threeSteps]);
    // Every call the SDK makes (five per checkpoint) fails for the first step.
    vendors.inngest.failNext("POST", /^\/v1\/checkpoint\//, { status: 500, times: 5 });
    const [run] = sim.send(start());
    await sim.settle();

    expect(run!.result).toBe(6);
    expect(ranSteps()).toEqual(["a", "b", "c"]);
    expect(types(run!.id)).toContain("fallback");
  });

  it("keeps a step once when Inngest saved its checkpoint but the SDK never heard back", async () => {
    const sim = simulate([threeSteps]);
    vendors.inngest.failNext("POST", /^\/v1\/checkpoint\//, { status: 500, when: "lost" });
    const [run] = sim.send(start());
    await sim.settle();

    expect(run!.result).toBe(6);
    expect(ranSteps()).toEqual(["a", "b", "c"]);
    expect(run!.steps).toEqual(["a", "b", "c"]);
  });

  it("refuses a checkpoint of anything but steps that ran, as Inngest does, and fails the test", async () => {
    const sim = simulate([cancellable]);
    const [run] = sim.send(start());
    await sim.until(() => run!.sleeping("pause"));
    const answer = fetch(`${vendors.inngest.baseUrl}/v1/checkpoint/${run!.id}/async`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ run_id: run!.id, fn_id: "f", steps: [{ id: "x", op: "Sleep" }] }),
    });

    await expect(sim.settle()).rejects.toThrow(/cannot checkpoint opcode: Sleep/);
    expect((await answer).status).toBe(400);
  });

  it("says so when the app's INNGEST_BASE_URL reaches no Inngest API", async () => {
    const sim = simulate([threeSteps]);
    vendors.server.use(
      http.post(`${vendors.inngest.baseUrl}/v1/checkpoint/*`, () => HttpResponse.error()),
    );
    sim.send(start());
    await expect(sim.settle()).rejects.toThrow(/without reaching Inngest's checkpoint API/);
  });
});

describe.each(modes)("InngestSim (%s): the same run either way", (mode) => {
  it("gives each step its own attempts: a retried step sees 1, 2, …; the steps after it 0 again", async () => {
    const sim = simulate([threeSteps], { mode });
    const [run] = sim.send(start({ failB: 2 }));
    await sim.settle();

    expect(run!.result).toBe(6);
    expect(ran).toEqual([
      { step: "a", attempt: 0, maxAttempts: 4 },
      { step: "b", attempt: 0, maxAttempts: 4 },
      { step: "b", attempt: 1, maxAttempts: 4 },
      { step: "b", attempt: 2, maxAttempts: 4 },
      { step: "c", attempt: 0, maxAttempts: 4 },
    ]);
    expect(run!.retries.map((r) => [r.step, r.attempt, r.delay])).toEqual([
      ["b", 0, duration("15s")],
      ["b", 1, duration("30s")],
    ]);
  });

  it("a step's last attempt is attempt + 1 = maxAttempts", async () => {
    const sim = simulate([threeSteps], { mode });
    const [run] = sim.send(start({ failB: 4 }));
    await sim.settle();

    expect(run!.status).toBe("failed");
    const b = ran.filter((r) => r.step === "b");
    expect(b.map((r) => r.attempt)).toEqual([0, 1, 2, 3]);
    expect(b.at(-1)!.attempt + 1).toBe(b.at(-1)!.maxAttempts);
  });

  it("loses each step's first answer after the step ran: every step runs twice, the second time as a retry, and the run ends the same", async () => {
    const sim = simulate([threeSteps], { mode, faults: { lostAnswers: "first" } });
    const [run] = sim.send(start());
    await sim.settle();

    expect(run!.result).toBe(6);
    expect(ran.map((r) => `${r.step}@${r.attempt}`)).toEqual([
      "a@0",
      "a@1",
      "b@0",
      "b@1",
      "c@0",
      "c@1",
    ]);
    expect(run!.steps).toEqual(["a", "b", "c"]);
    expect(run!.failures.map((f) => f.name)).toEqual(["AnswerLost", "AnswerLost", "AnswerLost"]);
    expect(types(run!.id).filter((t) => t === "answer-lost")).toHaveLength(3);
  });

  it("loses only the answers a fault picks", async () => {
    const sim = simulate([threeSteps], {
      mode,
      faults: { lostAnswers: ({ step, attempt }) => step === "b" && attempt < 2 },
    });
    const [run] = sim.send(start());
    await sim.settle();

    expect(run!.result).toBe(6);
    expect(ran.map((r) => `${r.step}@${r.attempt}`)).toEqual(["a@0", "b@0", "b@1", "b@2", "c@0"]);
  });

  it("cancels at once without a delay: nothing after the step in flight runs", async () => {
    const sim = simulate([cancellable], { mode });
    const [run] = sim.send(start({ cancelDuringFirst: true }));
    await sim.settle();

    expect(run!.status).toBe("cancelled");
    expect(ranSteps()).toEqual(["first"]);
  });

  it("with Inngest's cancellation delay, a step may start after the cancelling event was accepted; none after the delay", async () => {
    const sim = simulate([cancellable], { mode, faults: { cancellationDelay: "2s" } });
    const [run] = sim.send(start({ cancelDuringFirst: true }));
    await sim.settle();

    expect(run!.status).toBe("cancelled");
    expect(ranSteps()).toEqual(["first", "second"]);
    expect(types(run!.id)).toContain("cancel-received");
    expect(run!.endedAt! - run!.createdAt).toBe(duration("2s"));
  });
});
