import { randomBytes } from "node:crypto";
import type { InngestFunction } from "inngest";
import { serve } from "inngest/edge";
import { compileExpression, type Expression } from "./expression";

/**
 * Test-only: a small Inngest executor on a simulated clock, so function tests see what Inngest
 * does rather than what a mock answers. Functions run for real: each step is a request to the
 * SDK's own serve handler over Inngest's HTTP protocol (memoized steps, ops, retry headers), as
 * Inngest would call `/api/inngest`. The simulator plays Inngest's part:
 *
 * - an event bus: `send` an event now, or `sendAfter` a delay; it starts the functions it
 *   triggers (trigger `expression` included), resumes waits and cancels runs;
 * - `step.waitForEvent` is registered when the SDK reports it, and only an event that arrives
 *   after that, has its name and satisfies its `if` resumes it; its timeout resumes it with null;
 * - `step.sleep` / `step.sleepUntil` end when the simulated clock reaches them;
 * - `cancelOn` is checked against every event arriving while a run is alive (its `timeout` too);
 *   a step already in flight finishes (Inngest cannot interrupt one), nothing after it runs, and
 *   onFailure is not called;
 * - one run id for the whole run; each step gets `retries` + 1 attempts (default 3 + 1), retried
 *   after the SDK's Retry-After (RetryAfterError) or else Inngest's backoff table (15s, 30s, 1m,
 *   ... without its jitter); NonRetriableError ends the run; a run that fails for good emits
 *   `inngest/function.failed`, which starts the function's onFailure handler;
 * - flow control: `idempotency` (one run per key per 24 h), `concurrency` (limit on steps in
 *   flight per key, scope fn/env/account; sleeping and waiting runs hold no slot), `throttle`
 *   (run starts delayed, GCRA without burst); event ids deduplicate for 24 h. Other options
 *   (rateLimit, debounce, batchEvents, singleton, timeouts) throw, so no test believes they were
 *   applied. A cron trigger never fires by itself: a test starts the run when it wants one,
 *   `sim.start(fn, { name: "inngest/scheduled.timer" })`, as Inngest would at the scheduled time.
 *
 * Time only moves when nothing else can happen (discrete-event simulation): requests in flight
 * (possibly several runs at once, interleaving for real) finish first, then the clock jumps to the
 * next timer. Tests drive it with `until`, `advance` and `settle`, and may `send` at any moment,
 * also from inside a vendor stand-in's handler while a step is in flight; `after` schedules the
 * test's own actions (a payment, a deletion in Clerk) on the simulated clock. Application code still
 * reads the real clock (Date.now()); only Inngest's side of time is simulated.
 *
 *   const sim = new InngestSim({ functions: [provisionSubscription] });
 *   const [run] = sim.send(userCreatedEvent);
 *   await sim.until(() => run.waitingFor("wait-for-payment-details"));
 *   sim.send({ name: "app/onboarding.submitted", data: { userId, tier: "pro", confirmationToken } });
 *   await sim.settle();
 *   expect(run.status).toBe("completed");
 */

export interface EventInput {
  id?: string;
  name: string;
  data?: unknown;
  ts?: number;
  v?: string;
}

/** An event as Inngest stores it and hands it to functions. */
export interface SimEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
  v?: string;
}

export interface SerializedError {
  name: string;
  message: string;
}

/** A waitForEvent as the SDK reported it to Inngest (its timeout normalized: "7d" goes as "1w"). */
export interface WaitRecord {
  id: string;
  event: string;
  timeout: string;
  if?: string;
}

export interface RetryRecord {
  /** the step's id, or undefined for an error thrown outside any step */
  step?: string;
  /** the attempt that failed (0 is the first) */
  attempt: number;
  /** ms until the next attempt, on the simulated clock */
  delay: number;
  cause: "retry-after" | "backoff";
  error: SerializedError;
}

/** "queued" until its first request is sent (throttle, concurrency). */
export type RunStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface HistoryEntry {
  /** simulated time, epoch ms */
  at: number;
  runId: string;
  functionId: string;
  type:
    | "queued"
    | "throttled"
    | "request-sent"
    | "request-answered"
    | "step-ran"
    | "step-error"
    | "step-failed"
    | "function-error"
    | "sleep"
    | "sleep-ended"
    | "wait"
    | "wait-matched"
    | "wait-timed-out"
    | "completed"
    | "failed"
    | "cancelled";
  step?: string;
  detail?: unknown;
}

type Memo = { type: "data"; data: unknown } | { type: "error"; error: unknown };

interface ActiveWait {
  record: WaitRecord;
  hashedId: string;
  condition?: Expression;
  registeredAt: number;
  timeoutAt: number;
}

interface ActiveSleep {
  id: string;
  hashedId: string;
  until: number;
}

/** One function run, as Inngest sees it. Fields are live: they change as the simulation runs. */
export class Run {
  status: RunStatus = "queued";
  result?: unknown;
  /** Why the run failed for good; undefined while it runs, and when it completed or was cancelled. */
  error?: SerializedError;
  /** Every error a step or the function threw, in order, including those a retry got past. */
  readonly failures: SerializedError[] = [];
  /** Every waitForEvent the run reached, in order. */
  readonly waits: WaitRecord[] = [];
  /** Every sleep the run reached, in order (duration as the SDK sent it: "3d" or an ISO date). */
  readonly sleeps: { id: string; duration: string }[] = [];
  /** Ids of the `step.run`s that returned, in order (a step that failed for good is not here). */
  readonly steps: string[] = [];
  /** Every retry Inngest scheduled, in order, with its delay. */
  readonly retries: RetryRecord[] = [];
  /** The event that cancelled the run. */
  cancelledBy?: SimEvent;
  startedAt?: number;
  endedAt?: number;

  /** @internal memoized step state, by hashed id, and the order it was reached */
  readonly memo: Record<string, Memo> = {};
  /** @internal */ readonly stack: string[] = [];
  /** @internal attempt of each outstanding request, by requested step ("step" = discovery) */
  readonly attempts = new Map<string, number>();
  /** @internal requests queued, in flight or awaiting a retry */
  readonly pending = new Set<string>();
  /** @internal */ readonly activeWaits = new Map<string, ActiveWait>();
  /** @internal */ readonly activeSleeps = new Map<string, ActiveSleep>();
  /** @internal */ parallel = false;
  /** @internal the last error a step failed with for good */
  finalStepError?: SerializedError;

  constructor(
    readonly id: string,
    readonly functionId: string,
    readonly event: SimEvent,
    readonly createdAt: number,
  ) {}

  get cancelled(): boolean {
    return this.status === "cancelled";
  }

  get done(): boolean {
    return this.status === "completed" || this.status === "failed" || this.status === "cancelled";
  }

  /** The wait with this step id, while it is registered and not yet resumed. */
  waitingFor(stepId: string): (WaitRecord & { registeredAt: number }) | undefined {
    const wait = [...this.activeWaits.values()].find((w) => w.record.id === stepId);
    return wait && { ...wait.record, registeredAt: wait.registeredAt };
  }

  /** Whether the run is in the sleep with this step id. */
  sleeping(stepId: string): boolean {
    return [...this.activeSleeps.values()].some((s) => s.id === stepId);
  }
}

interface FunctionConfig {
  id: string;
  triggers: { event?: string; expression?: string; cron?: string }[];
  steps: Record<string, { runtime: { url: string }; retries?: { attempts: number } }>;
  idempotency?: string;
  concurrency?: number | ConcurrencyOption | ConcurrencyOption[];
  throttle?: { key?: string; limit: number; period: string; burst?: number };
  cancel?: { event: string; if?: string; timeout?: string }[];
  [option: string]: unknown;
}

interface ConcurrencyOption {
  limit: number;
  key?: string;
  scope?: "fn" | "env" | "account";
}

interface Registered {
  id: string;
  url: string;
  handler: (request: Request) => Promise<Response>;
  maxAttempts: number;
  triggers: { event: string; expression?: Expression }[];
  cancel: { event: string; condition?: Expression; timeout?: number }[];
  idempotency?: Expression;
  concurrency: { limit: number; key?: Expression; scope: string }[];
  throttle?: { limit: number; period: number; key?: Expression };
}

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
  live: () => boolean;
}

const SERVE_URL = new URL("http://inngest-sim.test/api/inngest");
const DAY = 24 * 60 * 60 * 1000;
/** How long Inngest remembers an event id and an idempotency key. */
const DEDUP_WINDOW = DAY;
/** Inngest's retry backoff table (pkg/backoff), without its random jitter. */
const BACKOFF = [15, 30, 60, 120, 300, 600, 1200, 2400, 3600, 7200].map(
  (seconds) => seconds * 1000,
);
const UNSIMULATED = ["rateLimit", "debounce", "batchEvents", "singleton", "timeouts"];
/** A run still going after this much simulated time is a runaway (a loop, a cron). */
const HORIZON = 400 * DAY;
const DEFAULT_RETRIES = 3;

export interface InngestSimOptions {
  /** The functions Inngest knows, as handed to serve(). Their onFailure handlers come along. */
  functions: InngestFunction.Any[];
}

export class InngestSim {
  /** Every run, in the order it was created. */
  readonly runs: Run[] = [];
  /** Every event the bus received (deduplicated ones excluded), in order. */
  readonly events: SimEvent[] = [];
  readonly history: HistoryEntry[] = [];
  /** Triggered runs that flow control did not start. */
  readonly skipped: { functionId: string; event: SimEvent; reason: string }[] = [];

  private clock: number;
  private readonly startedAt: number;
  private readonly functions: Registered[] = [];
  private readonly ready: { run: Run; stepId: string }[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly slotsInUse = new Map<string, number>();
  /** GCRA's theoretical arrival time, per throttle key */
  private readonly throttleArrivals = new Map<string, number>();
  private readonly seenEventIds = new Map<string, number>();
  private readonly idempotencyKeys = new Map<string, number>();
  private timers: Timer[] = [];
  private timerSeq = 0;
  private failure: unknown;

  constructor(options: InngestSimOptions) {
    // Inngest's clock starts at the real time, so dates the application computes make sense.
    this.clock = this.startedAt = Date.now();
    const byClient = new Map<unknown, InngestFunction.Any[]>();
    for (const fn of options.functions) {
      const client = (fn as unknown as { client: unknown }).client;
      byClient.set(client, [...(byClient.get(client) ?? []), fn]);
    }
    for (const [client, fns] of byClient) {
      const handler = serve({ client: client as never, functions: fns });
      for (const fn of fns) {
        const appPrefix = (client as { id: string }).id;
        const configs = (
          fn as unknown as {
            getConfig(opts: { baseUrl: URL; appPrefix: string }): FunctionConfig[];
          }
        ).getConfig({ baseUrl: SERVE_URL, appPrefix });
        for (const config of configs) this.functions.push(register(config, handler));
      }
    }
  }

  /** The simulated time, epoch ms. */
  now(): number {
    return this.clock;
  }

  /** Simulated time since the simulation began, ms. */
  elapsed(): number {
    return this.clock - this.startedAt;
  }

  /**
   * Inngest receives events now: duplicates of an event id seen within 24 h are dropped; each
   * event cancels the runs whose cancelOn it matches, resumes the waits it satisfies, then starts
   * the functions it triggers (subject to idempotency and throttle). Returns the runs it started.
   */
  send(events: EventInput | EventInput[]): Run[] {
    return [events].flat().flatMap((event) => this.receive(event));
  }

  /** Inngest receives the events `delay` from now ("5m", or ms). */
  sendAfter(delay: string | number, events: EventInput | EventInput[]): void {
    this.schedule(this.clock + toMs(delay), () => this.send(events));
  }

  /**
   * Does `action` `delay` from now on the simulated clock: what a person or a vendor does at that
   * moment (a payment, a deletion in Clerk, a dashboard edit). An async action is waited for like
   * a request in flight; if it throws, the simulation fails with its error.
   */
  after(delay: string | number, action: () => unknown): void {
    this.schedule(this.clock + toMs(delay), () => {
      const done = Promise.resolve()
        .then(action)
        .then(
          () => undefined,
          (error: unknown) => {
            this.failure ??= error;
          },
        )
        .finally(() => this.inFlight.delete(done));
      this.inFlight.add(done);
    });
  }

  /**
   * Starts a run of `fn` for `event` at once, as a replay or a redelivery Inngest let through:
   * no trigger match, no event-id deduplication, no idempotency key; throttle and concurrency
   * still apply. The event is not broadcast (it resumes no wait and cancels nothing).
   */
  start(fn: InngestFunction.Any, event: EventInput): Run {
    const id = functionIdOf(fn);
    const registered = this.functions.find((f) => f.id === id);
    if (!registered) throw new Error(`${id} is not among the simulator's functions`);
    return this.createRun(registered, this.normalize(event));
  }

  /** Runs of a function (or of a function id as registered, e.g. "onramp-x-failure"), in order. */
  runsOf(fn: InngestFunction.Any | string): Run[] {
    const id = typeof fn === "string" ? fn : functionIdOf(fn);
    return this.runs.filter((run) => run.functionId === id);
  }

  /**
   * Lets the simulation go on until `condition` holds (checked after every answer and timer; it
   * may be async, e.g. read the database), advancing the clock as needed; fails if nothing is left
   * to happen first, or when `within` (a duration) has passed. Requests of other runs may still be
   * in flight when it returns.
   */
  async until(condition: () => unknown, options: { within?: string | number } = {}): Promise<void> {
    const horizon = options.within === undefined ? undefined : this.clock + toMs(options.within);
    if (await this.drive(async () => Boolean(await condition()), horizon)) return;
    throw new Error(
      `The condition never held: ${horizon === undefined ? "nothing was left to happen" : `not within ${options.within}`}. Runs: ${this.describe()}`,
    );
  }

  /** Whether a request of `a` and one of `b` were ever in flight at the same moment. */
  overlapped(a: Run, b: Run): boolean {
    const inFlight = new Map<string, number>();
    for (const entry of this.history) {
      const change = { "request-sent": 1, "request-answered": -1 }[entry.type as string];
      if (!change) continue;
      inFlight.set(entry.runId, (inFlight.get(entry.runId) ?? 0) + change);
      if ((inFlight.get(a.id) ?? 0) > 0 && (inFlight.get(b.id) ?? 0) > 0) return true;
    }
    return false;
  }

  /** Lets `delay` of simulated time pass, with everything due in it happening. */
  async advance(delay: string | number): Promise<void> {
    const target = this.clock + toMs(delay);
    await this.drive(() => false, target);
    this.clock = target;
  }

  /** Lets the simulation go on until nothing is left to happen: every run has ended. */
  async settle(): Promise<void> {
    await this.drive(() => false);
  }

  // ---------- the bus ----------

  private normalize(event: EventInput): SimEvent {
    const data = (event.data ?? {}) as Record<string, unknown>;
    return {
      id: event.id ?? ulid(this.clock),
      name: event.name,
      // As Inngest stores it: JSON.
      data: JSON.parse(JSON.stringify(data)),
      ts: event.ts ?? this.clock,
      ...(event.v === undefined ? {} : { v: event.v }),
    };
  }

  private receive(input: EventInput): Run[] {
    const event = this.normalize(input);
    const seen = this.seenEventIds.get(event.id);
    if (seen !== undefined && this.clock - seen < DEDUP_WINDOW) return [];
    this.seenEventIds.set(event.id, this.clock);
    this.events.push(event);

    for (const run of this.runs.filter((r) => !r.done)) {
      const fn = this.fn(run);
      const cancels = fn.cancel.some(
        (c) =>
          c.event === event.name &&
          (c.timeout === undefined || this.clock - run.createdAt <= c.timeout) &&
          (!c.condition || c.condition.matches({ event: run.event, async: event })),
      );
      if (cancels) this.cancel(run, event);
    }
    for (const run of this.runs.filter((r) => !r.done)) {
      for (const wait of [...run.activeWaits.values()]) {
        const satisfied =
          wait.record.event === event.name &&
          (!wait.condition || wait.condition.matches({ event: run.event, async: event }));
        if (satisfied) {
          this.log(run, "wait-matched", wait.record.id, { eventId: event.id });
          this.resolveWait(run, wait, event);
        }
      }
    }
    return this.functions
      .filter((fn) =>
        fn.triggers.some(
          (t) =>
            matchesName(t.event, event.name) && (!t.expression || t.expression.matches({ event })),
        ),
      )
      .flatMap((fn) => {
        if (fn.idempotency) {
          const key = `${fn.id}:${JSON.stringify(fn.idempotency.valueOf({ event }) ?? null)}`;
          const previous = this.idempotencyKeys.get(key);
          if (previous !== undefined && this.clock - previous < DEDUP_WINDOW) {
            this.skipped.push({ functionId: fn.id, event, reason: `idempotency key ${key}` });
            return [];
          }
          this.idempotencyKeys.set(key, this.clock);
        }
        return [this.createRun(fn, event)];
      });
  }

  // ---------- runs ----------

  private fn(run: Run): Registered {
    return this.functions.find((f) => f.id === run.functionId)!;
  }

  private createRun(fn: Registered, event: SimEvent): Run {
    const run = new Run(ulid(this.clock), fn.id, event, this.clock);
    this.runs.push(run);
    this.log(run, "queued");
    const startAt = this.throttledStart(fn, event);
    if (startAt > this.clock) {
      this.log(run, "throttled", undefined, { until: startAt });
      run.pending.add("step");
      this.schedule(
        startAt,
        () => {
          run.pending.delete("step");
          this.enqueue(run, "step");
        },
        () => !run.done,
      );
    } else {
      this.enqueue(run, "step");
    }
    return run;
  }

  /**
   * When a run may start under the function's throttle, reserving that start: GCRA, as Inngest
   * throttles, without burst: `limit` starts at once, then one every period / limit.
   */
  private throttledStart(fn: Registered, event: SimEvent): number {
    if (!fn.throttle) return this.clock;
    const { limit, period, key } = fn.throttle;
    const slot = `${fn.id}:${JSON.stringify(key?.valueOf({ event }) ?? null)}`;
    const interval = period / limit;
    const arrival = this.throttleArrivals.get(slot) ?? -Infinity;
    const at = Math.max(this.clock, arrival - (period - interval));
    this.throttleArrivals.set(slot, Math.max(arrival, at) + interval);
    return at;
  }

  private enqueue(run: Run, stepId: string) {
    if (run.done || run.pending.has(stepId)) return;
    run.pending.add(stepId);
    this.ready.push({ run, stepId });
  }

  private concurrencySlots(run: Run): { slot: string; limit: number }[] {
    return this.fn(run).concurrency.map(({ limit, key, scope }) => {
      const value = key ? JSON.stringify(key.valueOf({ event: run.event }) ?? null) : "";
      return {
        slot: `${scope === "fn" ? run.functionId : scope}:${key?.source ?? ""}:${value}`,
        limit,
      };
    });
  }

  /** Sends every queued request that concurrency allows, in the order they were queued. */
  private dispatchReady() {
    for (let i = 0; i < this.ready.length;) {
      const { run, stepId } = this.ready[i]!;
      if (run.done) {
        this.ready.splice(i, 1);
        continue;
      }
      const slots = this.concurrencySlots(run);
      if (slots.some(({ slot, limit }) => (this.slotsInUse.get(slot) ?? 0) >= limit)) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      for (const { slot } of slots) this.slotsInUse.set(slot, (this.slotsInUse.get(slot) ?? 0) + 1);
      if (run.status === "queued") {
        run.status = "running";
        run.startedAt = this.clock;
      }
      const request = this.execute(run, stepId)
        .catch((error) => {
          this.failure ??= error;
        })
        .finally(() => {
          for (const { slot } of slots) this.slotsInUse.set(slot, this.slotsInUse.get(slot)! - 1);
          this.inFlight.delete(request);
        });
      this.inFlight.add(request);
    }
  }

  /** One call to the function over Inngest's protocol, and what Inngest does with the answer. */
  private async execute(run: Run, stepId: string) {
    const fn = this.fn(run);
    const attempt = run.attempts.get(stepId) ?? 0;
    const url = new URL(fn.url);
    url.searchParams.set("stepId", stepId);
    this.log(run, "request-sent", stepId === "step" ? undefined : stepId, { attempt });
    const response = await fn.handler(
      new Request(url, {
        method: "POST",
        // The SDK's web handler resolves the URL against the host header.
        headers: { "content-type": "application/json", host: url.host },
        body: JSON.stringify({
          event: run.event,
          events: [run.event],
          steps: run.memo,
          ctx: {
            run_id: run.id,
            attempt,
            max_attempts: fn.maxAttempts,
            disable_immediate_execution: run.parallel,
            use_api: false,
            stack: { stack: run.stack, current: run.stack.length },
          },
        }),
      }),
    );
    const text = await response.text();
    this.log(run, "request-answered", undefined, { status: response.status });
    run.pending.delete(stepId);
    if (run.done) {
      // Cancelled while the request was in flight: the step ran, the run goes no further.
      if (response.status === 206) {
        for (const op of JSON.parse(text) as Op[]) {
          if (op.op === "StepRun") run.steps.push(displayName(op));
        }
      }
      return;
    }
    const body = text ? JSON.parse(text) : null;

    if (response.status === 200) return this.complete(run, body);
    if (response.status === 206) {
      run.attempts.delete(stepId);
      for (const op of [body].flat() as Op[]) this.handleOp(run, op, stepId, attempt, response);
      return;
    }
    if (response.status === 400 || response.status === 500) {
      if (body?.type === "internal") {
        throw new Error(`The SDK could not handle the simulator's request: ${text}`);
      }
      const error = serialized(body);
      // A step's final error the function lets through is that failure, not another one.
      if (!sameError(error, run.finalStepError)) run.failures.push(error);
      const final =
        response.headers.get("x-inngest-no-retry") === "true" || attempt + 1 >= fn.maxAttempts;
      if (final) return this.fail(run, body);
      this.log(run, "function-error", undefined, { error });
      return this.retry(run, stepId, attempt, error, response, undefined);
    }
    throw new Error(`Unexpected answer ${response.status} from ${fn.id}: ${text}`);
  }

  private handleOp(run: Run, op: Op, stepId: string, attempt: number, response: Response) {
    const id = displayName(op);
    switch (op.op) {
      case "StepRun":
        run.memo[op.id] = { type: "data", data: op.data ?? null };
        run.stack.push(op.id);
        run.steps.push(id);
        this.log(run, "step-ran", id);
        return this.enqueue(run, "step");
      case "StepError": {
        const error = serialized(op.error);
        run.failures.push(error);
        this.log(run, "step-error", id, { error, attempt });
        if (attempt + 1 < this.fn(run).maxAttempts) {
          return this.retry(run, stepId, attempt, error, response, id);
        }
        return this.stepFailed(run, op);
      }
      case "StepFailed": {
        const error = serialized(op.error);
        run.failures.push(error);
        this.log(run, "step-failed", id, { error });
        return this.stepFailed(run, op);
      }
      case "StepPlanned":
        run.parallel = true;
        return this.enqueue(run, op.id);
      case "Sleep": {
        if (run.activeSleeps.has(op.id)) return;
        const until = /^\d{4}-\d\d-\d\dT/.test(op.name!)
          ? Date.parse(op.name!)
          : this.clock + duration(op.name!);
        run.sleeps.push({ id, duration: op.name! });
        run.activeSleeps.set(op.id, { id, hashedId: op.id, until });
        this.log(run, "sleep", id, { until });
        this.schedule(
          until,
          () => {
            run.activeSleeps.delete(op.id);
            this.log(run, "sleep-ended", id);
            this.memoize(run, op.id, null);
          },
          () => !run.done && run.activeSleeps.has(op.id),
        );
        return;
      }
      case "WaitForEvent": {
        if (run.activeWaits.has(op.id)) return;
        const opts = op.opts as { timeout: string; if?: string };
        const record: WaitRecord = { id, event: op.name!, timeout: opts.timeout, if: opts.if };
        const wait: ActiveWait = {
          record,
          hashedId: op.id,
          condition: opts.if ? compileExpression(opts.if) : undefined,
          registeredAt: this.clock,
          timeoutAt: this.clock + duration(opts.timeout),
        };
        run.waits.push(record);
        run.activeWaits.set(op.id, wait);
        this.log(run, "wait", id, record);
        this.schedule(
          wait.timeoutAt,
          () => {
            this.log(run, "wait-timed-out", id);
            this.resolveWait(run, wait, null);
          },
          () => !run.done && run.activeWaits.get(op.id) === wait,
        );
        return;
      }
      case "RunComplete":
        return this.complete(run, op.data ?? null);
      default:
        throw new Error(`The Inngest simulator does not simulate ${op.op} (step "${id}")`);
    }
  }

  private stepFailed(run: Run, op: Op) {
    run.finalStepError = serialized(op.error);
    // The error is memoized as the SDK sent it: the function sees the step throw it, may catch it.
    run.memo[op.id] = { type: "error", error: op.error };
    run.stack.push(op.id);
    this.enqueue(run, "step");
  }

  private retry(
    run: Run,
    stepId: string,
    attempt: number,
    error: SerializedError,
    response: Response,
    step: string | undefined,
  ) {
    const retryAfter = retryAfterMs(response.headers.get("retry-after"), this.clock);
    const delay = retryAfter ?? BACKOFF[Math.min(attempt, BACKOFF.length - 1)]!;
    run.retries.push({
      step,
      attempt,
      delay,
      cause: retryAfter === undefined ? "backoff" : "retry-after",
      error,
    });
    run.attempts.set(stepId, attempt + 1);
    run.pending.add(stepId);
    this.schedule(
      this.clock + delay,
      () => {
        run.pending.delete(stepId);
        this.enqueue(run, stepId);
      },
      () => !run.done,
    );
  }

  private memoize(run: Run, hashedId: string, data: unknown) {
    run.memo[hashedId] = { type: "data", data };
    run.stack.push(hashedId);
    this.enqueue(run, "step");
  }

  private resolveWait(run: Run, wait: ActiveWait, event: SimEvent | null) {
    run.activeWaits.delete(wait.hashedId);
    this.memoize(run, wait.hashedId, event);
  }

  private complete(run: Run, result: unknown) {
    run.status = "completed";
    run.result = result;
    this.end(run, "completed");
  }

  /** `error` as the SDK serialized it. */
  private fail(run: Run, error: unknown) {
    run.status = "failed";
    run.error = serialized(error);
    this.end(run, "failed", { error: run.error });
    // Inngest's own event; the function's onFailure handler is triggered by it.
    this.send({
      name: "inngest/function.failed",
      data: { function_id: run.functionId, run_id: run.id, error, event: run.event },
    });
  }

  private cancel(run: Run, event: SimEvent) {
    run.status = "cancelled";
    run.cancelledBy = event;
    this.end(run, "cancelled", { eventId: event.id });
  }

  private end(run: Run, type: "completed" | "failed" | "cancelled", detail?: unknown) {
    run.endedAt = this.clock;
    run.activeWaits.clear();
    run.activeSleeps.clear();
    run.pending.clear();
    this.log(run, type, undefined, detail);
  }

  // ---------- the clock ----------

  /** `fire` at `at`, unless `live` says by then that it no longer matters (no clock move for it). */
  private schedule(at: number, fire: () => void, live: () => boolean = () => true) {
    const timer = { at, seq: this.timerSeq++, fire, live };
    const index = this.timers.findIndex((t) => t.at > at);
    if (index === -1) this.timers.push(timer);
    else this.timers.splice(index, 0, timer);
  }

  /**
   * The event loop: send what may be sent, wait for answers while any are in flight, and only when
   * nothing else can happen, move the clock to the next timer(s). True once `done` holds; false
   * when nothing is left to happen (up to `horizon`, when given).
   */
  private async drive(done: () => boolean | Promise<boolean>, horizon?: number): Promise<boolean> {
    for (;;) {
      this.rethrow();
      if (await done()) return true;
      this.dispatchReady();
      if (this.inFlight.size > 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      this.timers = this.timers.filter((t) => t.live());
      const next = this.timers[0];
      if (!next || (horizon !== undefined && next.at > horizon)) return false;
      if (next.at - this.startedAt > HORIZON) {
        throw new Error(
          `Still running after ${HORIZON / DAY} simulated days. Runs: ${this.describe()}`,
        );
      }
      this.clock = Math.max(this.clock, next.at);
      const due = this.timers.filter((t) => t.at <= this.clock);
      this.timers = this.timers.filter((t) => t.at > this.clock);
      for (const timer of due) if (timer.live()) timer.fire();
    }
  }

  private rethrow() {
    if (this.failure === undefined) return;
    const failure = this.failure;
    this.failure = undefined;
    throw failure;
  }

  private log(run: Run, type: HistoryEntry["type"], step?: string, detail?: unknown) {
    this.history.push({
      at: this.clock,
      runId: run.id,
      functionId: run.functionId,
      type,
      step,
      detail,
    });
  }

  private describe() {
    return this.runs
      .map((run) => {
        const waits = [...run.activeWaits.values()].map((w) => `waiting for ${w.record.id}`);
        const sleeps = [...run.activeSleeps.values()].map((s) => `sleeping in ${s.id}`);
        return `${run.functionId} ${run.status}${[...waits, ...sleeps].map((s) => `, ${s}`).join("")}`;
      })
      .join("; ");
  }
}

/**
 * One run of `fn` for `event` from start to end on a fresh simulator (retries, sleeps and
 * timeouts included; nothing else is sent, so every wait times out). The run, with its outcome.
 */
export async function runFunction(fn: InngestFunction.Any, event: EventInput): Promise<Run> {
  const sim = new InngestSim({ functions: [fn] });
  const run = sim.start(fn, event);
  await sim.settle();
  return run;
}

// ---------- helpers ----------

interface Op {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  userland?: { id: string };
  opts?: unknown;
  data?: unknown;
  error?: unknown;
}

function register(config: FunctionConfig, handler: Registered["handler"]): Registered {
  for (const option of UNSIMULATED) {
    if (config[option] !== undefined) {
      throw new Error(`The Inngest simulator does not simulate \`${option}\` (${config.id})`);
    }
  }
  if (config.throttle?.burst) {
    throw new Error(`The Inngest simulator does not simulate throttle bursts (${config.id})`);
  }
  const step = config.steps.step!;
  const concurrency = [config.concurrency ?? []]
    .flat()
    .map((c) => (typeof c === "number" ? { limit: c } : c))
    .map(({ limit, key, scope }) => ({
      limit,
      key: key ? compileExpression(key) : undefined,
      scope: scope ?? "fn",
    }));
  return {
    id: config.id,
    url: step.runtime.url,
    handler,
    maxAttempts: (step.retries?.attempts ?? DEFAULT_RETRIES) + 1,
    // A schedule is left to the test (sim.start); events start the rest.
    triggers: config.triggers.flatMap((trigger) => {
      if (trigger.cron) return [];
      if (!trigger.event) throw new Error(`A trigger of ${config.id} has no event`);
      return {
        event: trigger.event,
        expression: trigger.expression ? compileExpression(trigger.expression) : undefined,
      };
    }),
    cancel: (config.cancel ?? []).map((c) => ({
      event: c.event,
      condition: c.if ? compileExpression(c.if) : undefined,
      timeout: c.timeout === undefined ? undefined : duration(c.timeout),
    })),
    idempotency: config.idempotency ? compileExpression(config.idempotency) : undefined,
    concurrency,
    throttle: config.throttle && {
      limit: config.throttle.limit,
      period: duration(config.throttle.period),
      key: config.throttle.key ? compileExpression(config.throttle.key) : undefined,
    },
  };
}

/** A trigger's event name; "app/*" matches every event under "app/". */
function matchesName(pattern: string, name: string) {
  return pattern.endsWith("/*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** A function's id as Inngest registers it: prefixed with its app's id. */
function functionIdOf(fn: InngestFunction.Any): string {
  return fn.id((fn as unknown as { client: { id: string } }).client.id);
}

const displayName = (op: Op) => op.displayName ?? op.userland?.id ?? op.name ?? op.id;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: DAY,
  w: 7 * DAY,
};

/** An Inngest duration ("7d", "1h30m", "59m", "500ms") in ms; anything else throws. */
export function duration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) {
    throw new Error(`Not an Inngest duration: "${text}"`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNITS[unit!]!, 0);
}

const toMs = (delay: string | number) => (typeof delay === "number" ? delay : duration(delay));

/** The SDK's Retry-After: whole seconds, or an RFC 3339 date (read against the simulated clock). */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const sameError = (a: SerializedError, b: SerializedError | undefined) =>
  a.name === b?.name && a.message === b.message;

function serialized(error: unknown): SerializedError {
  const { name, message } = (error ?? {}) as Partial<SerializedError>;
  return { name: String(name ?? "Error"), message: String(message ?? "") };
}

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID (what Inngest uses for run and event ids), timed on the simulated clock. */
function ulid(at: number): string {
  let time = "";
  for (let t = at, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const random = [...randomBytes(16)].map((byte) => CROCKFORD[byte % 32]).join("");
  return time + random;
}
