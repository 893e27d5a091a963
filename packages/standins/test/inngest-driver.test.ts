import { randomBytes } from "node:crypto";
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { Inngest, NonRetriableError, RetryAfterError, type InngestFunction } from "inngest";
import { serve } from "inngest/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  serveInngestDriver,
  viewOf,
  type RunView,
  type ServedDriver,
} from "@onramp/standins/inngest";

// The driver against real functions served by the real SDK over HTTP (inngest/node), so every
// request and answer is the SDK's own protocol. Durations are scaled by 1/10 000: a "1h" sleep
// takes 360 ms, a "1d" wait 8.6 s (longer than any test here waits for it).

const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** What an onFailure handler gets (typed here: the client below is untyped). */
type FailureContext = { error: Error; event: { data: { run_id: string } } };

interface TestApp {
  served: ServedDriver;
  close(): Promise<void>;
}

/** Functions served by the SDK on a local port, run by a driver on another. */
async function startApp(
  define: (inngest: Inngest.Any) => InngestFunction.Any[],
  options: {
    cloud?: { signingKey: string };
    driverSigningKey?: string;
    log?: (line: string) => void;
    requestTimeoutMs?: number;
  } = {},
): Promise<TestApp> {
  let handler: RequestListener = (_req, res) => res.end();
  const app = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const serveUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}/api/inngest`;
  const served = await serveInngestDriver({
    serveUrl,
    timeScale: 1 / 10_000,
    signingKey: options.driverSigningKey,
    log: options.log,
    requestTimeoutMs: options.requestTimeoutMs,
  });
  // The app holds the keys the driver hands out (or, in cloud mode, its own signing key).
  const inngest = new Inngest({
    id: "driver-test",
    isDev: !options.cloud,
    baseUrl: served.url,
    eventKey: served.appEnv.INNGEST_EVENT_KEY,
    signingKey: options.cloud?.signingKey ?? served.appEnv.INNGEST_SIGNING_KEY,
    logger: quiet,
  });
  handler = serve({ client: inngest, functions: define(inngest) });
  return {
    served,
    async close() {
      await served.close();
      app.closeAllConnections();
      await new Promise((resolve) => app.close(resolve));
    },
  };
}

describe("Inngest driver", () => {
  const bodies = new Map<string, number>();
  const ran = (name: string) => bodies.set(name, (bodies.get(name) ?? 0) + 1);
  const attempts: Record<string, number[]> = {};
  const failures: { fn: string; message: string; runId: unknown }[] = [];
  let active = 0;
  let maxActive = 0;
  let app: TestApp;

  beforeAll(async () => {
    app = await startApp((inngest) => [
      inngest.createFunction(
        { id: "three-steps", triggers: [{ event: "test/three" }] },
        async ({ event, step }) => {
          ran("three-steps (handler)");
          const a = await step.run("first", () => {
            ran("first");
            return `a${event.data.n}`;
          });
          const [b, c] = await Promise.all([
            step.run("second", () => {
              ran("second");
              return "b";
            }),
            step.run("third", () => {
              ran("third");
              return "c";
            }),
          ]);
          return { a, b, c };
        },
      ),
      inngest.createFunction(
        { id: "sleeper", triggers: [{ event: "test/sleep" }] },
        async ({ step }) => {
          await step.run("before", () => ran("before"));
          await step.sleep("nap", "1h");
          await step.run("after", () => ran("after"));
          return "rested";
        },
      ),
      inngest.createFunction(
        { id: "approval", triggers: [{ event: "test/requested" }] },
        async ({ event, step }) => {
          const approval = await step.waitForEvent("wait-for-approval", {
            event: "test/approved",
            timeout: String(event.data.timeout),
            if: "async.data.requestId == event.data.id",
          });
          return approval ? approval.data : null;
        },
      ),
      inngest.createFunction(
        { id: "flaky", retries: 3, triggers: [{ event: "test/flaky" }] },
        async ({ step, attempt }) =>
          step.run("flaky-step", () => {
            (attempts.flaky ??= []).push(attempt);
            if (attempts.flaky.length < 3) throw new Error("not yet");
            return "ok";
          }),
      ),
      alwaysFailing(inngest, "hopeless", 1, () => new Error("always")),
      alwaysFailing(inngest, "refused", 3, () => new NonRetriableError("no way")),
      inngest.createFunction(
        { id: "later", triggers: [{ event: "test/later" }] },
        async ({ step, attempt }) =>
          step.run("busy-vendor", () => {
            (attempts.later ??= []).push(attempt);
            if (attempt === 0) throw new RetryAfterError("busy", "30s");
            return "done";
          }),
      ),
      inngest.createFunction(
        {
          id: "cancellable",
          triggers: [{ event: "test/go" }],
          cancelOn: [{ event: "test/stop", match: "data.id" }],
        },
        async ({ step }) => {
          await step.run("start", () => ran("start"));
          await step.sleep("long", "1d");
          await step.run("never", () => ran("never"));
        },
      ),
      inngest.createFunction(
        {
          id: "once-per-user",
          idempotency: "event.data.userId",
          triggers: [{ event: "test/signup" }],
        },
        async ({ step }) => step.run("welcome", () => ran("welcome")),
      ),
      inngest.createFunction(
        {
          id: "serial",
          concurrency: { key: "event.data.key", limit: 1 },
          triggers: [{ event: "test/serial" }],
        },
        async ({ step }) => {
          for (const name of ["one", "two"]) {
            await step.run(name, async () => {
              active++;
              maxActive = Math.max(maxActive, active);
              await new Promise((resolve) => setTimeout(resolve, 20));
              active--;
            });
          }
        },
      ),
      inngest.createFunction(
        { id: "together", triggers: [{ event: "test/together" }] },
        async ({ step }) =>
          step.run("meet", async () => {
            // Ends only once all three runs are inside this step at the same time.
            active++;
            const deadline = Date.now() + 5000;
            while (active < 3 && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 5));
            }
            const met = active >= 3;
            await new Promise((resolve) => setTimeout(resolve, 20));
            active--;
            return met;
          }),
      ),
    ]);
  });
  afterAll(() => app?.close());

  /** A function whose one step always throws `error()`, with an onFailure that records it. */
  const alwaysFailing = (inngest: Inngest.Any, id: string, retries: 1 | 3, error: () => Error) =>
    inngest.createFunction(
      {
        id,
        retries,
        triggers: [{ event: `test/${id}` }],
        onFailure: ({ error, event }: FailureContext) => {
          failures.push({ fn: id, message: error.message, runId: event.data.run_id });
        },
      },
      async ({ step, attempt }) =>
        step.run("fail", () => {
          (attempts[id] ??= []).push(attempt);
          throw error();
        }),
    );

  const driver = () => app.served.driver;
  const only = (functionId: string) => {
    const runs = driver().runsOf(functionId);
    expect(runs).toHaveLength(1);
    return runs[0]!;
  };
  const ended = (functionId: string) =>
    driver().until(
      () =>
        driver()
          .runsOf(functionId)
          .every((run) => !run.busy),
      { what: `${functionId} to settle` },
    );
  /** What happened to the run, in order. */
  const historyOf = (run: { id: string }) =>
    driver()
      .history.filter((entry) => entry.runId === run.id)
      .map((entry) => entry.type);

  it("syncs the app's functions in band and runs each step once, memoized across requests", async () => {
    await driver().accept({ name: "test/three", data: { n: 1 } });
    expect(driver().functionIds()).toContain("driver-test-three-steps");
    await driver().idle();

    const run = only("three-steps");
    expect(run).toMatchObject({ status: "completed", result: { a: "a1", b: "b", c: "c" } });
    // "second" and "third" run side by side, as Inngest runs parallel steps: either may end first.
    expect(run.steps[0]).toBe("first");
    expect([...run.steps].sort()).toEqual(["first", "second", "third"]);
    // The handler ran once per request, the steps once each.
    expect(bodies.get("three-steps (handler)")).toBeGreaterThan(3);
    for (const name of ["first", "second", "third"]) expect(bodies.get(name)).toBe(1);
    // "first" ran in the first request and was checkpointed; the parallel ones each had their own.
    expect(historyOf(run).slice(0, 4)).toEqual([
      "queued",
      "request-sent",
      "checkpoint",
      "step-ran",
    ]);
  });

  it("sleeps for the scaled duration and then continues", async () => {
    await driver().accept({ name: "test/sleep", data: {} });
    await driver().until(() => only("sleeper").sleeping("nap"));
    expect(bodies.get("before")).toBe(1);
    expect(bodies.get("after")).toBeUndefined();
    expect(viewOf(only("sleeper"), driver().history).sleepingUntil).toBeDefined();

    await driver().until(() => only("sleeper").status === "completed");
    expect(only("sleeper").steps).toEqual(["before", "after"]);
    expect(historyOf(only("sleeper"))).toContain("sleep-ended");
  });

  it("gives a wait only a matching event sent after the wait began, or null after its timeout", async () => {
    // Sent before the run exists: a wait never sees it.
    await driver().accept({ name: "test/approved", data: { requestId: "r1", early: true } });
    await driver().accept({ name: "test/requested", data: { id: "r1", timeout: "1d" } });
    await driver().until(() => Boolean(only("approval").waitingFor("wait-for-approval")));
    expect(only("approval").waiting).toEqual([
      expect.objectContaining({
        id: "wait-for-approval",
        event: "test/approved",
        if: "async.data.requestId == event.data.id",
      }),
    ]);

    await driver().accept({ name: "test/approved", data: { requestId: "r2" } });
    await driver().idle();
    expect(only("approval").waitingFor("wait-for-approval")).toBeDefined();

    await driver().accept({ name: "test/approved", data: { requestId: "r1", by: "ann" } });
    await driver().until(() => only("approval").status === "completed");
    expect(only("approval").result).toEqual({ requestId: "r1", by: "ann" });

    await driver().accept({ name: "test/requested", data: { id: "r3", timeout: "10s" } });
    const timedOut = () => driver().runsOf("approval")[1]!;
    await driver().until(() => timedOut().status === "completed");
    expect(timedOut().result).toBeNull();
    expect(historyOf(timedOut())).toContain("wait-timed-out");
  });

  it("retries a failing step with the attempt number until it succeeds", async () => {
    await driver().accept({ name: "test/flaky", data: {} });
    await ended("flaky");
    expect(only("flaky")).toMatchObject({ status: "completed", result: "ok" });
    expect(attempts.flaky).toEqual([0, 1, 2]);
    expect(only("flaky").retries).toHaveLength(2);
  });

  it("fails a run out of attempts, and runs its onFailure with the error", async () => {
    await driver().accept({ name: "test/hopeless", data: {} });
    await ended("hopeless");
    await driver().idle();
    expect(attempts.hopeless).toEqual([0, 1]);
    const run = only("hopeless");
    expect(run).toMatchObject({ status: "failed", error: { message: "always" } });
    expect(failures).toContainEqual({ fn: "hopeless", message: "always", runId: run.id });
    expect(driver().eventsNamed("inngest/function.failed")).toContainEqual(
      expect.objectContaining({
        data: expect.objectContaining({ function_id: "driver-test-hopeless" }),
      }),
    );
  });

  it("does not retry a NonRetriableError", async () => {
    await driver().accept({ name: "test/refused", data: {} });
    await ended("refused");
    await driver().idle();
    expect(attempts.refused).toEqual([0]);
    expect(only("refused")).toMatchObject({
      status: "failed",
      error: { name: "NonRetriableError" },
    });
    expect(failures).toContainEqual(expect.objectContaining({ fn: "refused", message: "no way" }));
  });

  it("retries a RetryAfterError after the time it asks for", async () => {
    await driver().accept({ name: "test/later", data: {} });
    await ended("later");
    expect(only("later")).toMatchObject({ status: "completed", result: "done" });
    expect(attempts.later).toEqual([0, 1]);
    expect(only("later").retries).toContainEqual(
      expect.objectContaining({ delay: 30_000, cause: "retry-after" }),
    );
  });

  it("cancels only the runs a cancelOn event matches", async () => {
    await driver().accept([
      { name: "test/go", data: { id: "a" } },
      { name: "test/go", data: { id: "b" } },
    ]);
    await driver().until(() =>
      driver()
        .runsOf("cancellable")
        .every((run) => run.sleeping("long")),
    );
    await driver().accept({ name: "test/stop", data: { id: "a" } });

    const byId = (id: string) =>
      driver()
        .runsOf("cancellable")
        .find((run) => run.event.data.id === id)!;
    expect(byId("a").status).toBe("cancelled");
    expect(byId("b").sleeping("long")).toBe(true);
    expect(bodies.get("start")).toBe(2);
    expect(bodies.get("never")).toBeUndefined();
    expect(driver().eventsNamed("inngest/function.cancelled")).toHaveLength(1);
  });

  it("starts one run per idempotency key, and ignores an event id it has seen", async () => {
    await driver().accept({ name: "test/signup", data: { userId: "u1" } });
    await driver().accept({ name: "test/signup", data: { userId: "u1" } });
    await driver().accept({ name: "test/signup", data: { userId: "u2" }, id: "signup-u2" });
    const [first] = await driver().accept({
      name: "test/signup",
      data: { userId: "u2" },
      id: "signup-u2",
    });
    await driver().idle();
    expect(
      driver()
        .runsOf("once-per-user")
        .map((run) => run.event.data.userId),
    ).toEqual(["u1", "u2"]);
    expect(first).toBe(driver().eventsNamed("test/signup")[2]!.internalId);
    expect(bodies.get("welcome")).toBe(2);
  });

  it("runs the steps of runs sharing a concurrency key one at a time, and others side by side", async () => {
    maxActive = 0;
    await driver().accept([1, 2, 3].map(() => ({ name: "test/serial", data: { key: "same" } })));
    await driver().idle();
    expect(
      driver()
        .runsOf("serial")
        .map((run) => run.status),
    ).toEqual(["completed", "completed", "completed"]);
    expect(maxActive).toBe(1);

    await driver().accept([1, 2, 3].map(() => ({ name: "test/together", data: {} })));
    await driver().idle();
    expect(
      driver()
        .runsOf("together")
        .map((run) => run.result),
    ).toEqual([true, true, true]);
  });

  it("answers the event API and lists runs over HTTP", async () => {
    const base = app.served.url;
    const eventKey = app.served.appEnv.INNGEST_EVENT_KEY;
    const sent = await fetch(`${base}/e/${eventKey}`, {
      method: "POST",
      body: JSON.stringify([{ name: "test/three", data: { n: 2 } }]),
    });
    expect(sent.status).toBe(200);
    const { ids } = (await sent.json()) as { ids: string[] };
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);

    const bad = await fetch(`${base}/e/${eventKey}`, {
      method: "POST",
      body: JSON.stringify({ data: {} }),
    });
    expect(bad.status).toBe(400);

    await driver().idle();
    const { runs } = (await (await fetch(app.served.consoleUrl)).json()) as { runs: RunView[] };
    expect(runs.filter((run) => run.functionId === "driver-test-three-steps")).toHaveLength(2);
  });
});

describe("Inngest driver against an app in cloud mode", () => {
  const signingKey = `signkey-test-${randomBytes(32).toString("hex")}`;
  const define = (inngest: Inngest.Any) => [
    inngest.createFunction({ id: "hello", triggers: [{ event: "test/hello" }] }, async ({ step }) =>
      step.run("greet", () => "hello"),
    ),
  ];

  it("signs its requests with the signing key, which the SDK requires", async () => {
    const app = await startApp(define, { cloud: { signingKey }, driverSigningKey: signingKey });
    try {
      await app.served.driver.accept({ name: "test/hello", data: {} });
      await app.served.driver.idle();
      expect(app.served.driver.runs[0]).toMatchObject({ status: "completed", result: "hello" });
      // The SDK's checkpoint carried its bearer (the hashed signing key), which the driver took.
      expect(app.served.driver.history).toContainEqual(
        expect.objectContaining({ type: "checkpoint", detail: { steps: ["greet"], status: 200 } }),
      );
      const forged = await fetch(`${app.served.url}/v1/checkpoint/any-run/async`, {
        method: "POST",
        headers: { authorization: "Bearer signkey-test-0000" },
        body: "{}",
      });
      expect(forged.status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it("is refused without it", async () => {
    const app = await startApp(define, { cloud: { signingKey } });
    try {
      await expect(app.served.driver.accept({ name: "test/hello", data: {} })).rejects.toThrow(
        /Syncing .* failed with 401/,
      );
    } finally {
      await app.close();
    }
  });
});

describe("Inngest driver against an app using what it does not implement", () => {
  it("says so in its log and runs the functions without it", async () => {
    const lines: string[] = [];
    const app = await startApp(
      (inngest) => [
        inngest.createFunction(
          { id: "debounced", triggers: [{ event: "test/debounced" }], debounce: { period: "5s" } },
          async ({ step }) => step.run("once", () => "ran"),
        ),
      ],
      { log: (line) => lines.push(line) },
    );
    try {
      await app.served.driver.accept({ name: "test/debounced", data: {} });
      await app.served.driver.idle();
      expect(app.served.driver.runs[0]).toMatchObject({ status: "completed", result: "ran" });
      expect(lines).toContainEqual(expect.stringMatching(/does not simulate `debounce`/));
    } finally {
      await app.close();
    }
  });
});

describe("Inngest driver giving up on a request that takes too long", () => {
  it("retries it; the first request's late checkpoint is kept and told it is stale, so the SDK stops there", async () => {
    let runs = 0;
    let app: TestApp | undefined = undefined;
    const staleCheckpoint = () =>
      app!.served.driver.history.some(
        (entry) =>
          entry.type === "checkpoint" && (entry.detail as { status: number }).status === 409,
      );
    app = await startApp(
      (inngest) => [
        inngest.createFunction(
          { id: "slow", triggers: [{ event: "test/slow" }] },
          async ({ step }) => {
            const first = await step.run("slow-step", async () => {
              const run = ++runs;
              // The first time, longer than the driver waits for the request; the retry ends
              // once the first request's checkpoint has arrived.
              if (run === 1) await new Promise((resolve) => setTimeout(resolve, 1500));
              else await app!.served.driver.until(staleCheckpoint, { timeoutMs: 5000 });
              return `run ${run}`;
            });
            return step.run("after", () => first);
          },
        ),
      ],
      { requestTimeoutMs: 1000 },
    );
    try {
      const { driver } = app.served;
      await driver.accept({ name: "test/slow", data: {} });
      await driver.until(() => driver.runs[0]?.status === "completed", { timeoutMs: 10_000 });
      // At least once: the step ran in both requests; Inngest kept what reached it first.
      expect(runs).toBe(2);
      expect(driver.runs[0]).toMatchObject({ result: "run 1" });
      expect(driver.runs[0]!.failures).toEqual([expect.objectContaining({ name: "NetworkError" })]);
    } finally {
      await app.close();
    }
  });
});
