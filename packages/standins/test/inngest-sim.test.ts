import { randomUUID } from "node:crypto";
import { Inngest, type InngestFunction, NonRetriableError, RetryAfterError } from "inngest";
import { describe, expect, it } from "vitest";
import { InngestSim, duration } from "@onramp/standins/inngest";
import { setupVendors } from "@onramp/standins/vitest";

// The SDK checkpoints each step to Inngest's API at INNGEST_BASE_URL: the Inngest API stand-in
// (behind msw) hands those to the simulator.
setupVendors();

// Functions of their own, on a client of their own, so each behaviour of the simulator is seen
// in isolation; the function tests then rely on it.
const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const client = new Inngest({ id: "sim-test", isDev: true, logger: quiet });
const started = "test/started";
const start = (id = `u_${randomUUID()}`, data: Record<string, unknown> = {}) => ({
  name: started,
  data: { id, ...data },
});

/** What a function step calls back into the test, set per test. */
const hooks: {
  during?: () => void;
  vendorCall?: () => Promise<void>;
  attempts: { runId: string; attempt: number }[];
} = {
  attempts: [],
};

const waiter = client.createFunction(
  { id: "waiter", triggers: [{ event: started }] },
  async ({ step }) => {
    const got = await step.waitForEvent("wait-for-answer", {
      event: "test/answer",
      timeout: "1h",
      if: "async.data.for == event.data.id",
    });
    return got?.data ?? null;
  },
);

const sleeper = client.createFunction(
  { id: "sleeper", triggers: [{ event: started }] },
  async ({ event, step }) => {
    await step.sleep("nap", String(event.data.nap ?? "3d"));
    return step.run("after-nap", () => "woke");
  },
);

const flaky = client.createFunction(
  {
    id: "flaky",
    triggers: [{ event: started }],
    retries: 2,
    onFailure: async ({ event, error, step }) => {
      await step.run("record-failure", () => ({
        runId: event.data.run_id,
        message: error.message,
        original: event.data.event.data.id,
      }));
    },
  },
  async ({ event, step, runId, attempt }) => {
    return step.run("call-vendor", () => {
      hooks.attempts.push({ runId, attempt });
      const failures = (event.data.failures as string[] | undefined) ?? [];
      const failure = failures[attempt];
      if (failure === "plain") throw new Error(`vendor 503 (attempt ${attempt})`);
      if (failure === "never") throw new NonRetriableError("vendor refused");
      if (failure?.startsWith("after:")) {
        throw new RetryAfterError("rate limited", duration(failure.slice(6)));
      }
      return { runId, attempt };
    });
  },
);

const forgiving = client.createFunction(
  { id: "forgiving", triggers: [{ event: started }], retries: 0 },
  async ({ step }) => {
    try {
      await step.run("fails", () => {
        throw new Error("gone for good");
      });
    } catch (error) {
      return step.run("recover", () => `caught: ${(error as Error).message}`);
    }
  },
);

const cancellable = client.createFunction(
  {
    id: "cancellable",
    triggers: [{ event: started }],
    cancelOn: [{ event: "test/cancel", match: "data.id" }],
    onFailure: async () => {},
  },
  async ({ step }) => {
    await step.run("first", () => {
      hooks.during?.();
      return "first done";
    });
    await step.sleep("pause", "1h");
    return step.run("second", () => "second done");
  },
);

const keyed = client.createFunction(
  {
    id: "keyed",
    triggers: [{ event: started }],
    idempotency: "event.data.id",
    concurrency: { key: "event.data.id", limit: 1 },
  },
  async ({ step }) => {
    await step.run("one", () => new Promise((resolve) => setTimeout(resolve, 5)));
    await step.run("two", () => new Promise((resolve) => setTimeout(resolve, 5)));
  },
);

const throttled = client.createFunction(
  { id: "throttled", triggers: [{ event: started }], throttle: { limit: 1, period: "1s" } },
  async ({ step }) => step.run("only", () => "ran"),
);

const throttledPair = client.createFunction(
  { id: "throttled-pair", triggers: [{ event: started }], throttle: { limit: 2, period: "1s" } },
  async ({ step }) => step.run("only", () => "ran"),
);

const throttledBurst = client.createFunction(
  {
    id: "throttled-burst",
    triggers: [{ event: started }],
    throttle: { limit: 2, period: "6s", burst: 1 },
  },
  async ({ step }) => step.run("only", () => "ran"),
);

const rateLimited = client.createFunction(
  {
    id: "rate-limited",
    triggers: [{ event: started }],
    rateLimit: { limit: 1, period: "1m", key: "event.data.id" },
  },
  async ({ step }) => step.run("only", () => "ran"),
);

const parallel = client.createFunction(
  { id: "parallel", triggers: [{ event: started }] },
  async ({ step }) => {
    const [a, b] = await Promise.all([step.run("left", () => "L"), step.run("right", () => "R")]);
    return `${a}${b}`;
  },
);

/** A step whose vendor call takes a while (hooks.vendorCall). */
const slowCall = client.createFunction(
  { id: "slow-call", triggers: [{ event: "test/slow" }] },
  async ({ step }) =>
    step.run("call-slow-vendor", async () => {
      await hooks.vendorCall?.();
      return "answered";
    }),
);

const sim = (...functions: InngestFunction.Any[]) => new InngestSim({ functions });

describe("InngestSim: waitForEvent", () => {
  it("delivers only an event sent after the wait is registered", async () => {
    const inngest = sim(waiter);
    const [run] = inngest.send(start("u1"));
    // Sent now, before the run has even reached its wait: missed.
    inngest.send({ name: "test/answer", data: { for: "u1", n: 1 } });
    await inngest.until(() => run!.waitingFor("wait-for-answer"));
    inngest.send({ name: "test/answer", data: { for: "u1", n: 2 } });
    await inngest.settle();

    expect(run!.result).toEqual({ for: "u1", n: 2 });
  });

  it("delivers only events of its name that satisfy its if", async () => {
    const inngest = sim(waiter);
    const [run] = inngest.send(start("u1"));
    await inngest.until(() => run!.waitingFor("wait-for-answer"));

    inngest.send({ name: "test/other", data: { for: "u1" } });
    inngest.send({ name: "test/answer", data: { for: "u2" } });
    inngest.send({ name: "test/answer", data: {} });
    await inngest.advance("59m");
    expect(run!.status).toBe("running");
    inngest.send({ name: "test/answer", data: { for: "u1", right: true } });
    await inngest.settle();

    expect(run!.result).toEqual({ for: "u1", right: true });
    expect(inngest.elapsed()).toBe(duration("59m"));
  });

  it("resumes with null when the simulated clock passes its timeout, and not before", async () => {
    const inngest = sim(waiter);
    const t0 = inngest.now();
    const [run] = inngest.send(start());
    await inngest.advance("59m");
    expect(run!.waitingFor("wait-for-answer")).toMatchObject({ timeout: "1h", registeredAt: t0 });
    await inngest.advance("1m");

    expect(run!.status).toBe("completed");
    expect(run!.result).toBeNull();
    expect(run!.endedAt! - run!.startedAt!).toBe(duration("1h"));
  });

  it("gives an event sent for later to a wait registered before it arrives", async () => {
    const inngest = sim(waiter);
    const [run] = inngest.send(start("u1"));
    inngest.sendAfter("10m", { name: "test/answer", data: { for: "u1" } });
    await inngest.settle();

    expect(run!.result).toEqual({ for: "u1" });
    expect(inngest.elapsed()).toBe(duration("10m"));
  });
});

describe("InngestSim: time", () => {
  it("sleeps on the simulated clock and wakes runs in the order of their deadlines", async () => {
    const inngest = sim(sleeper);
    const [long] = inngest.send(start("long", { nap: "3d" }));
    const [short] = inngest.send(start("short", { nap: "2h" }));
    await inngest.settle();

    expect(long!.sleeps).toEqual([{ id: "nap", duration: "3d" }]);
    expect(short!.endedAt! - short!.startedAt!).toBe(duration("2h"));
    expect(long!.endedAt! - long!.startedAt!).toBe(duration("3d"));
    const woke = inngest.history.filter((h) => h.type === "sleep-ended").map((h) => h.runId);
    expect(woke).toEqual([short!.id, long!.id]);
  });

  it("advance lets time pass even when nothing is due, and until fails when nothing is left to happen", async () => {
    const inngest = sim(sleeper);
    await inngest.advance("5m");
    expect(inngest.elapsed()).toBe(duration("5m"));
    const [run] = inngest.send(start("x", { nap: "1h" }));
    await expect(inngest.until(() => run!.status === "failed")).rejects.toThrow(
      /never held: nothing was left to happen/,
    );
    await expect(inngest.until(() => false, { within: "1m" })).rejects.toThrow(/not within 1m/);
  });
});

describe("InngestSim: latency", () => {
  it("moves the clock while a request waits on it, so what is due meanwhile happens during the call", async () => {
    const inngest = sim(slowCall, sleeper);
    hooks.vendorCall = () => inngest.latency("30s");
    try {
      const [call] = inngest.send({ name: "test/slow", data: {} });
      const [nap] = inngest.send(start("u1", { nap: "10s" }));
      await inngest.settle();

      expect(call!.result).toBe("answered");
      expect(nap!.result).toBe("woke");
      // The nap began and ended while the vendor call was in flight.
      expect(nap!.endedAt! - call!.startedAt!).toBe(10_000);
      expect(call!.endedAt! - call!.startedAt!).toBe(30_000);
      expect(inngest.overlapped(call!, nap!)).toBe(true);
    } finally {
      hooks.vendorCall = undefined;
    }
  });
});

describe("InngestSim: what the test schedules", () => {
  it("does a test's own action at its moment on the simulated clock, waiting for it when async", async () => {
    const inngest = sim(waiter);
    const [run] = inngest.send(start("asker"));
    const done: number[] = [];
    inngest.after("10m", async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      done.push(inngest.elapsed());
      inngest.send({ name: "test/answer", data: { for: "asker", answer: 42 } });
    });
    await inngest.settle();

    expect(done).toEqual([duration("10m")]);
    expect(run!.result).toEqual({ for: "asker", answer: 42 });
  });

  it("never starts a cron function by itself: the test starts its run", async () => {
    const hourly = client.createFunction(
      { id: "hourly", triggers: [{ cron: "0 * * * *" }] },
      async ({ step }) => step.run("tick", () => "ticked"),
    );
    const inngest = sim(hourly);
    await inngest.advance("3h");
    expect(inngest.runs).toEqual([]);

    const run = inngest.start(hourly, { name: "inngest/scheduled.timer", data: {} });
    await inngest.settle();
    expect(run.result).toBe("ticked");
  });
});

describe("InngestSim: retries", () => {
  it("keeps one run id across attempts and waits Inngest's backoff between them", async () => {
    hooks.attempts = [];
    const inngest = sim(flaky);
    const [run] = inngest.send(start("x", { failures: ["plain", "plain"] }));
    await inngest.settle();

    expect(run!.status).toBe("completed");
    expect(run!.result).toEqual({ runId: run!.id, attempt: 2 });
    expect(hooks.attempts).toEqual([0, 1, 2].map((attempt) => ({ runId: run!.id, attempt })));
    expect(run!.retries.map((r) => [r.step, r.delay, r.cause])).toEqual([
      ["call-vendor", duration("15s"), "backoff"],
      ["call-vendor", duration("30s"), "backoff"],
    ]);
    expect(run!.failures.map((f) => f.message)).toEqual([
      "vendor 503 (attempt 0)",
      "vendor 503 (attempt 1)",
    ]);
  });

  it("honours each RetryAfterError's delay, in order", async () => {
    const inngest = sim(flaky);
    const [run] = inngest.send(start("x", { failures: ["after:7s", "after:2m"] }));
    await inngest.settle();

    expect(run!.retries.map((r) => [r.delay, r.cause])).toEqual([
      [duration("7s"), "retry-after"],
      [duration("2m"), "retry-after"],
    ]);
    expect(run!.endedAt! - run!.startedAt!).toBe(duration("7s") + duration("2m"));
  });

  it("gives a step retries + 1 attempts, then fails the run and calls onFailure with the run's id", async () => {
    const inngest = sim(flaky);
    const [run] = inngest.send(start("x", { failures: ["plain", "plain", "plain", "plain"] }));
    await inngest.settle();

    expect(run!.status).toBe("failed");
    expect(run!.error).toEqual({ name: "Error", message: "vendor 503 (attempt 2)" });
    expect(run!.failures).toHaveLength(3);
    const [handler] = inngest.runsOf("sim-test-flaky-failure");
    expect(handler!.status).toBe("completed");
    expect(handler!.event).toMatchObject({
      name: "inngest/function.failed",
      data: { function_id: "sim-test-flaky", run_id: run!.id, event: { data: { id: "x" } } },
    });
    expect(handler!.steps).toEqual(["record-failure"]);
  });

  it("ends the run at once on NonRetriableError", async () => {
    const inngest = sim(flaky);
    const [run] = inngest.send(start("x", { failures: ["never"] }));
    await inngest.settle();

    expect(run!.error).toEqual({ name: "NonRetriableError", message: "vendor refused" });
    expect(run!.failures).toHaveLength(1);
    expect(run!.retries).toEqual([]);
    expect(inngest.runsOf("sim-test-flaky-failure")).toHaveLength(1);
  });

  it("hands a step's final error to the function, which may catch it and go on", async () => {
    const inngest = sim(forgiving);
    const [run] = inngest.send(start());
    await inngest.settle();

    expect(run!.status).toBe("completed");
    expect(run!.result).toBe("caught: gone for good");
    expect(run!.steps).toEqual(["recover"]);
  });
});

describe("InngestSim: cancelOn", () => {
  it("cancels a run when a matching event arrives, and not for another id", async () => {
    const inngest = sim(cancellable);
    const [run] = inngest.send(start("u1"));
    await inngest.until(() => run!.sleeping("pause"));
    inngest.send({ name: "test/cancel", data: { id: "u2" } });
    expect(run!.status).toBe("running");
    inngest.send({ name: "test/cancel", data: { id: "u1" } });
    await inngest.settle();

    expect(run!.status).toBe("cancelled");
    expect(run!.steps).toEqual(["first"]);
    expect(inngest.runsOf("sim-test-cancellable-failure")).toEqual([]);
  });

  it("lets a step in flight finish, then runs nothing after it", async () => {
    const inngest = sim(cancellable);
    const [run] = inngest.send(start("u1"));
    hooks.during = () => inngest.send({ name: "test/cancel", data: { id: "u1" } });
    try {
      await inngest.settle();
    } finally {
      hooks.during = undefined;
    }

    expect(run!.status).toBe("cancelled");
    expect(run!.steps).toEqual(["first"]);
    expect(run!.sleeps).toEqual([]);
    expect(inngest.elapsed()).toBe(0);
  });

  it("ignores a cancelling event sent before the run started", async () => {
    const inngest = sim(cancellable);
    inngest.send({ name: "test/cancel", data: { id: "u1" } });
    const [run] = inngest.send(start("u1"));
    await inngest.settle();

    expect(run!.result).toBe("second done");
  });
});

describe("InngestSim: flow control", () => {
  it("starts one run per idempotency key in 24 h, and drops a repeated event id", async () => {
    const inngest = sim(keyed);
    const first = inngest.send({ ...start("u1"), id: "evt-1" });
    expect(inngest.send({ ...start("u1"), id: "evt-1" })).toEqual([]);
    expect(inngest.send({ ...start("u1"), id: "evt-2" })).toEqual([]);
    expect(inngest.skipped).toHaveLength(1);
    await inngest.advance("24h");
    const later = inngest.send({ ...start("u1"), id: "evt-3" });
    await inngest.settle();

    expect(first).toHaveLength(1);
    expect(later).toHaveLength(1);
    expect(inngest.events.map((e) => e.id)).toEqual(["evt-1", "evt-2", "evt-3"]);
  });

  it("runs the steps of runs with the same concurrency key one at a time, others side by side", async () => {
    const inngest = sim(keyed);
    const a = inngest.start(keyed, start("same"));
    const b = inngest.start(keyed, start("same"));
    const c = inngest.start(keyed, start("other"));
    await inngest.settle();

    expect([a, b, c].map((run) => run.status)).toEqual(["completed", "completed", "completed"]);
    expect(inngest.overlapped(a, b)).toBe(false);
    expect(inngest.overlapped(a, c)).toBe(true);
  });

  it("throttles run starts: the limit at once, then one every period / limit", async () => {
    const inngest = sim(throttled, throttledPair);
    const single = inngest
      .send([start(), start(), start()])
      .filter((r) => r.functionId.endsWith("-throttled"));
    await inngest.advance("500ms");
    const [late] = inngest.send(start()).filter((r) => r.functionId.endsWith("-throttled"));
    await inngest.settle();

    const t0 = single[0]!.startedAt!;
    expect([...single, late!].map((run) => run.startedAt! - t0)).toEqual([0, 1000, 2000, 3000]);
    const pair = inngest.runsOf(throttledPair).map((run) => run.startedAt! - t0);
    expect(pair).toEqual([0, 0, 500, 1000]);
  });

  it("throttles with a burst as Inngest documents it: limit + burst at once, then one every period / limit", async () => {
    const inngest = sim(throttledBurst);
    const runs = inngest.send([start(), start(), start(), start(), start()]);
    await inngest.settle();

    const t0 = runs[0]!.startedAt!;
    expect(runs.map((run) => run.startedAt! - t0)).toEqual([0, 0, 0, 3000, 6000]);
  });

  it("skips the runs over a rate limit, per key, until its period is over", async () => {
    const inngest = sim(rateLimited);
    expect(inngest.send(start("u1"))).toHaveLength(1);
    expect(inngest.send(start("u1"))).toEqual([]);
    expect(inngest.send(start("u2"))).toHaveLength(1);
    await inngest.advance("1m");
    expect(inngest.send(start("u1"))).toHaveLength(1);
    await inngest.settle();

    expect(inngest.skipped).toMatchObject([
      { functionId: "sim-test-rate-limited", event: { data: { id: "u1" } }, reason: "rate limit" },
    ]);
    expect(inngest.runs.map((run) => run.status)).toEqual(["completed", "completed", "completed"]);
  });

  it("refuses flow control it does not simulate", () => {
    const debounced = client.createFunction(
      { id: "debounced", triggers: [{ event: started }], debounce: { period: "5s" } },
      async () => null,
    );
    expect(() => sim(debounced)).toThrow(/does not simulate `debounce`/);
  });
});

describe("InngestSim: steps in parallel", () => {
  it("runs each planned step and then the rest of the function", async () => {
    const inngest = sim(parallel);
    const [run] = inngest.send(start());
    await inngest.settle();

    expect(run!.result).toBe("LR");
    expect([...run!.steps].sort()).toEqual(["left", "right"]);
  });
});
