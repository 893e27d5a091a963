import { evaluateExpression, expressionHolds } from "./expression";
import { FlowControl } from "./flow-control";
import { EventRejected } from "./http";
import {
  callFunction,
  syncApp,
  type CallOutcome,
  type ConcurrencyLimit,
  type EventPayload,
  type FunctionConfig,
  type Op,
  type Registration,
  type SerializedError,
  type StepResult,
  type Transport,
} from "./protocol";
import {
  statusOf,
  terminal,
  viewOf,
  type Pending,
  type Run,
  type RunStatus,
  type RunView,
  type TimelineEntry,
} from "./run";
import { durationMs, sleepEndsAt, timer, ulid } from "./time";

/**
 * A local stand-in for the Inngest server (Cloud or the dev server), for tests and for running
 * an app without Inngest: it takes events, matches them to the functions the app registered, and
 * executes each run against the app's real `serve()` endpoint step by step over the SDK's HTTP
 * protocol (protocol.ts): memoized `step.run`, parallel steps, `step.sleep`/`sleepUntil`,
 * `step.waitForEvent` (only events that arrive after the wait began, filtered by its `if`, with
 * its timeout), `cancelOn`, retries (NonRetriableError, RetryAfterError, `retries`), `onFailure`
 * (`inngest/function.failed`), event-id deduplication, and per-function `idempotency`,
 * `concurrency` (steps of runs sharing a key run one at a time up to the limit), `throttle`
 * (run starts delayed) and `rateLimit` (runs skipped).
 *
 * Not implemented (logged when an app registers them): cron triggers, `debounce`,
 * `batchEvents`, `priority`, `singleton`, `timeouts`, and the ops for `step.invoke`, signals,
 * `step.ai` and `defer`, which fail the run saying so. It keeps everything in memory.
 *
 * Everything it waits out (sleeps, wait timeouts, retry back-off, throttle periods) is scaled by
 * `timeScale`, so a demo's "3d" can pass in seconds; `stepDelayMs` slows each run to a pace a
 * person (or a polling page) can follow.
 */

export interface DriverOptions {
  /** The app's serve endpoint, e.g. http://localhost:3000/api/inngest */
  serveUrl: string;
  /** Signs every request, as Inngest does; the SDK in cloud mode refuses unsigned ones. */
  signingKey?: string;
  /** Multiplies every duration the driver waits out (default 1: real time). */
  timeScale?: number;
  /** A pause before each request of a run, in real milliseconds (default 0). */
  stepDelayMs?: number;
  /** Back-off before retry number `attempt` (1 for the first), before scaling. */
  retryDelayMs?: (attempt: number) => number;
  requestTimeoutMs?: number;
  /** One line per run event (start, step, retry, end); silent by default. */
  log?: (line: string) => void;
}

/** An event as the driver received it: what was sent, with its id and time filled in. */
export interface ReceivedEvent extends EventPayload {
  id: string;
  ts: number;
  /** The id the event API answered with (a ULID, as Inngest's). */
  internalId: string;
}

const day = 24 * 3600_000;
const unsupportedConfig = ["debounce", "batchEvents", "priority", "singleton", "timeouts"];

/** Inngest-like back-off: 1 s, 2 s, 4 s … up to an hour. */
const defaultRetryDelay = (attempt: number) => Math.min(1000 * 2 ** (attempt - 1), 3600_000);

export class InngestDriver {
  readonly serveUrl: string;
  /** Every event received (and the driver's own `inngest/function.*` events), in order. */
  readonly events: ReceivedEvent[] = [];
  private readonly options: Required<
    Pick<DriverOptions, "timeScale" | "stepDelayMs" | "retryDelayMs" | "log">
  > &
    DriverOptions;
  private readonly transport: Transport;
  private functions: Map<string, FunctionConfig> | null = null;
  private appId = "";
  private registeredAt = 0;
  private syncing: Promise<FunctionConfig[]> | null = null;
  private readonly allRuns: Run[] = [];
  private accepting = 0;
  private readonly seenEventIds = new Map<string, { internalId: string; at: number }>();
  private readonly idempotencyKeys = new Map<string, number>();
  private readonly flow = new FlowControl();
  private readonly listeners = new Set<() => void>();
  private closed = false;

  constructor(options: DriverOptions) {
    this.serveUrl = options.serveUrl;
    this.options = {
      timeScale: 1,
      stepDelayMs: 0,
      retryDelayMs: defaultRetryDelay,
      log: () => {},
      ...options,
    };
    this.transport = {
      signingKey: options.signingKey,
      serverKind: options.signingKey ? "cloud" : "dev",
      requestTimeoutMs: options.requestTimeoutMs ?? 5 * 60_000,
    };
  }

  // ---------- functions ----------

  /** Asks the app for its functions (in-band sync), as the dev server does when it finds an app. */
  async sync(): Promise<FunctionConfig[]> {
    this.syncing ??= (async () => {
      const before = this.registeredAt;
      const registration = await syncApp(this.serveUrl, this.transport);
      if (registration) this.register(registration);
      else if (this.registeredAt === before) {
        throw new Error(
          `${this.serveUrl} synced out of band; point its INNGEST_BASE_URL at this driver so the registration arrives here`,
        );
      }
      return [...this.functions!.values()];
    })().finally(() => (this.syncing = null));
    return this.syncing;
  }

  /** Takes a registration (the body of POST /fn/register, or an in-band sync's). */
  register(registration: Registration) {
    this.appId = registration.appId;
    this.functions = new Map(registration.functions.map((fn) => [fn.id, fn]));
    this.registeredAt = Date.now();
    for (const fn of registration.functions) {
      const ignored = [
        ...unsupportedConfig.filter((key) => fn[key] !== undefined),
        ...(fn.triggers.some((trigger) => "cron" in trigger) ? ["cron triggers"] : []),
      ];
      if (ignored.length) this.options.log(`${fn.id}: ignoring ${ignored.join(", ")}`);
    }
    this.options.log(
      `synced ${registration.functions.length} functions of ${this.appId || "the app"}`,
    );
  }

  private async ensureSynced() {
    if (!this.functions) await this.sync();
  }

  // ---------- events ----------

  /** The event API: validates, records and dispatches events; answers their ids. */
  async send(input: unknown): Promise<string[]> {
    const batch = (Array.isArray(input) ? input : [input]) as Partial<EventPayload>[];
    const bad = batch.findIndex(
      (event) =>
        !event ||
        typeof event.name !== "string" ||
        !event.name ||
        (event.data !== undefined &&
          (typeof event.data !== "object" || event.data === null || Array.isArray(event.data))),
    );
    if (bad >= 0) throw new EventRejected(`event ${bad} needs a non-empty name and object data`);
    this.accepting++;
    try {
      await this.ensureSynced();
      return batch.map((event) => this.accept(event as EventPayload));
    } finally {
      this.accepting--;
      this.notify();
    }
  }

  private accept(sent: EventPayload): string {
    const now = Date.now();
    const duplicate = sent.id ? this.seenEventIds.get(sent.id) : undefined;
    if (duplicate && now - duplicate.at < day) return duplicate.internalId;
    const internalId = ulid(now);
    const event: EventPayload = {
      ...sent,
      data: sent.data ?? {},
      id: sent.id ?? internalId,
      ts: sent.ts ?? now,
    };
    if (sent.id) this.seenEventIds.set(sent.id, { internalId, at: now });
    this.events.push({ ...(event as ReceivedEvent), internalId });
    this.dispatch(event);
    return internalId;
  }

  /**
   * Cancels the runs the event cancels, ends the waits it matches (waits registered so far, so
   * only events that arrive after a wait began), and starts the runs it triggers.
   */
  private dispatch(event: EventPayload) {
    for (const run of this.allRuns.filter((r) => !terminal(r))) {
      this.cancelIfAsked(run, event);
      if (!terminal(run)) this.endWaits(run, event);
    }
    for (const fn of this.functions?.values() ?? []) {
      if (this.triggers(fn, event)) this.startRun(fn, event);
    }
  }

  /** An event the driver itself emits (`inngest/function.failed` and friends). */
  private emit(name: string, data: Record<string, unknown>) {
    const now = Date.now();
    const event: EventPayload = { name, data, id: ulid(now), ts: now };
    this.events.push({ ...(event as ReceivedEvent), internalId: event.id! });
    this.dispatch(event);
  }

  /** Events named `name`, in arrival order. */
  eventsNamed(name: string): ReceivedEvent[] {
    return this.events.filter((event) => event.name === name);
  }

  private holds(expression: string | undefined, scope: Record<string, unknown>, what: string) {
    try {
      return expressionHolds(expression, scope);
    } catch (error) {
      this.options.log(`${what}: ${error instanceof Error ? error.message : error}`);
      return false;
    }
  }

  private triggers(fn: FunctionConfig, event: EventPayload) {
    return fn.triggers.some((trigger) => {
      if (!("event" in trigger)) return false;
      const named = trigger.event.endsWith("*")
        ? event.name.startsWith(trigger.event.slice(0, -1))
        : trigger.event === event.name;
      return named && this.holds(trigger.expression, { event }, `${fn.id} trigger`);
    });
  }

  private keyOf(fn: FunctionConfig, expression: string | undefined, event: EventPayload) {
    if (!expression) return "";
    try {
      return JSON.stringify(evaluateExpression(expression, { event }));
    } catch (error) {
      this.options.log(`${fn.id} key: ${error instanceof Error ? error.message : error}`);
      return "";
    }
  }

  // ---------- runs ----------

  private scaled(ms: number) {
    return ms * this.options.timeScale;
  }

  private startRun(fn: FunctionConfig, event: EventPayload) {
    const now = Date.now();
    if (fn.idempotency) {
      const key = `${fn.id}:${this.keyOf(fn, fn.idempotency, event)}`;
      const at = this.idempotencyKeys.get(key);
      if (at !== undefined && now - at < day) {
        this.options.log(`${fn.id}: skipped ${event.name}, idempotency key ${key} already ran`);
        return;
      }
      this.idempotencyKeys.set(key, now);
    }
    if (fn.rateLimit) {
      const key = `rate:${fn.id}:${this.keyOf(fn, fn.rateLimit.key, event)}`;
      const period = this.scaled(durationMs(fn.rateLimit.period));
      if (!this.flow.admit(key, fn.rateLimit.limit, period, now)) {
        this.options.log(`${fn.id}: skipped ${event.name}, rate limit reached`);
        return;
      }
    }
    const run: Run = {
      id: ulid(now),
      fn,
      event,
      startedAt: now,
      fixed: "queued",
      steps: {},
      stack: [],
      planned: [],
      discover: true,
      pending: new Map(),
      attempt: 0,
      busy: false,
      timeline: [],
    };
    this.allRuns.push(run);
    const { throttle } = fn;
    const startAt = throttle
      ? this.flow.throttledStart(
          `throttle:${fn.id}:${this.keyOf(fn, throttle.key, event)}`,
          throttle.limit + (throttle.burst ?? 0),
          this.scaled(durationMs(throttle.period)),
          now,
        )
      : now;
    if (startAt > now) timer(startAt - now, () => this.begin(run));
    else this.begin(run);
  }

  private begin(run: Run) {
    if (this.closed || terminal(run)) return;
    run.fixed = undefined;
    run.startedAt = Date.now();
    this.note(run, "run", "started", { event: run.event.name });
    void this.advance(run);
  }

  private maxAttempts(fn: FunctionConfig) {
    return (Object.values(fn.steps)[0]?.retries?.attempts ?? 3) + 1;
  }

  /** Sends the run's next requests until it ends or waits for time or an event. */
  private async advance(run: Run) {
    if (run.busy || this.closed) return;
    run.busy = true;
    try {
      while (!terminal(run) && !run.retryTimer && !this.closed) {
        const stepId = run.planned.shift() ?? (run.discover ? "step" : undefined);
        if (!stepId) break;
        if (stepId === "step") run.discover = false;
        if (this.options.stepDelayMs) {
          await new Promise((resolve) => setTimeout(resolve, this.options.stepDelayMs));
        }
        const release = await this.flow.acquire(this.concurrencyOf(run));
        let outcome: CallOutcome;
        try {
          outcome = await callFunction(
            {
              fn: run.fn,
              stepId,
              runId: run.id,
              event: run.event,
              steps: run.steps,
              stack: run.stack,
              attempt: run.attempt,
              maxAttempts: this.maxAttempts(run.fn),
            },
            this.transport,
          );
        } finally {
          release();
        }
        if (terminal(run) || this.closed) break; // cancelled while the request was out
        this.apply(run, stepId, outcome);
        this.notify();
      }
    } catch (error) {
      this.fail(run, {
        name: "DriverError",
        message: error instanceof Error ? error.message : String(error),
      });
    } finally {
      run.busy = false;
      const idle = !run.planned.length && !run.discover && !run.retryTimer && !run.pending.size;
      if (!terminal(run) && idle && !this.closed) {
        this.fail(run, {
          name: "DriverError",
          message: "The app reported neither a next step nor a result",
        });
      }
      this.notify();
    }
  }

  private apply(run: Run, stepId: string, outcome: CallOutcome) {
    if (outcome.kind === "complete") {
      this.finish(run, "completed", { output: outcome.output });
      return;
    }
    if (outcome.kind === "error") {
      if (outcome.retry.retriable) this.retry(run, stepId, outcome.error, outcome.retry.afterMs);
      else this.fail(run, outcome.error);
      return;
    }
    for (const op of outcome.ops) {
      if (terminal(run)) return;
      this.applyOp(run, stepId, op, outcome.retry.afterMs);
    }
  }

  private applyOp(run: Run, stepId: string, op: Op, retryAfterMs: number | undefined) {
    const step = op.displayName ?? op.name ?? op.id;
    const known = op.id in run.steps || run.pending.has(op.id);
    switch (op.op) {
      case "StepRun":
      case "Step":
        this.record(run, op.id, { type: "data", data: op.data ?? null }, step, "ran");
        return;
      case "StepFailed": {
        const error = op.error ?? { name: "Error", message: `Step ${step} failed` };
        this.record(run, op.id, { type: "error", error }, step, "step failed", error);
        return;
      }
      case "StepError": {
        const error = op.error ?? { name: "Error", message: `Step ${step} failed` };
        this.note(run, step, "step error", { attempt: run.attempt, error });
        this.retry(run, stepId, error, retryAfterMs, { id: op.id, step });
        return;
      }
      case "StepPlanned":
        if (!known && !run.planned.includes(op.id)) {
          run.planned.push(op.id);
          this.note(run, step, "planned");
        }
        return;
      case "Sleep": {
        if (known) return;
        const now = Date.now();
        const delay = this.scaled(sleepEndsAt(op.name!, now) - now);
        this.await(run, op.id, { kind: "sleep", step, until: now + delay }, delay);
        this.note(run, step, "sleeping", { for: op.name });
        return;
      }
      case "WaitForEvent": {
        if (known) return;
        const timeout = this.scaled(durationMs(String(op.opts?.timeout)));
        const condition = typeof op.opts?.if === "string" ? op.opts.if : undefined;
        this.await(
          run,
          op.id,
          {
            kind: "wait",
            step,
            event: op.name!,
            if: condition,
            until: Date.now() + timeout,
          },
          timeout,
        );
        this.note(run, step, "waiting", {
          event: op.name,
          if: condition,
          timeout: op.opts?.timeout,
        });
        return;
      }
      case "RunComplete":
        this.finish(run, "completed", { output: op.data ?? null });
        return;
      case "StepNotFound":
        this.fail(run, { name: "StepNotFound", message: `The app could not find step ${step}` });
        return;
      default:
        this.fail(run, {
          name: "UnsupportedOp",
          message: `The Inngest driver does not implement ${op.op} (step ${step})`,
        });
    }
  }

  /** A finished step: memoized for every later request of the run. */
  private record(
    run: Run,
    id: string,
    result: StepResult,
    step: string,
    what: TimelineEntry["what"],
    detail?: unknown,
  ) {
    run.steps[id] = result;
    run.stack.push(id);
    run.attempt = 0;
    run.discover = true;
    this.note(run, step, what, detail);
  }

  private await(run: Run, id: string, pending: Omit<Pending, "timer">, delay: number) {
    const timeout = timer(delay, () =>
      this.resume(
        run,
        id,
        { type: "data", data: null },
        pending.kind === "sleep" ? "woke" : "wait timed out",
      ),
    );
    run.pending.set(id, { ...pending, timer: timeout });
  }

  private resume(
    run: Run,
    id: string,
    result: StepResult,
    what: TimelineEntry["what"],
    detail?: unknown,
  ) {
    const pending = run.pending.get(id);
    if (!pending || terminal(run)) return;
    pending.timer.cancel();
    run.pending.delete(id);
    this.record(run, id, result, pending.step, what, detail);
    this.notify();
    void this.advance(run);
  }

  private endWaits(run: Run, event: EventPayload) {
    const scope = { event: run.event, async: event };
    for (const [id, wait] of run.pending) {
      const what = `${run.fn.id} wait ${wait.step}`;
      if (wait.kind === "wait" && wait.event === event.name && this.holds(wait.if, scope, what)) {
        this.resume(run, id, { type: "data", data: event }, "event received", { id: event.id });
      }
    }
  }

  private cancelIfAsked(run: Run, event: EventPayload) {
    const scope = { event: run.event, async: event };
    const cancels = (run.fn.cancel ?? []).some(
      (cancel) =>
        cancel.event === event.name &&
        (!cancel.timeout ||
          Date.now() <= run.startedAt + this.scaled(durationMs(cancel.timeout))) &&
        this.holds(cancel.if, scope, `${run.fn.id} cancelOn`),
    );
    if (cancels) this.finish(run, "cancelled", { by: { name: event.name, id: event.id } });
  }

  /** Sends the same request again after a back-off, up to the function's attempts. */
  private retry(
    run: Run,
    stepId: string,
    error: SerializedError,
    afterMs?: number,
    failedStep?: { id: string; step: string },
  ) {
    run.attempt += 1;
    if (run.attempt >= this.maxAttempts(run.fn)) {
      // The SDK marks the last attempt itself; this only guards against an endless loop.
      const result: StepResult = { type: "error", error };
      if (failedStep)
        this.record(run, failedStep.id, result, failedStep.step, "step failed", error);
      else this.fail(run, error);
      return;
    }
    if (stepId === "step") run.discover = true;
    else run.planned.unshift(stepId);
    const delay = this.scaled(afterMs ?? this.options.retryDelayMs(run.attempt));
    this.note(run, "run", "retry", {
      attempt: run.attempt,
      error: error.message,
      afterMs: afterMs ?? null,
    });
    run.retryTimer = timer(delay, () => {
      run.retryTimer = undefined;
      void this.advance(run);
    });
  }

  private fail(run: Run, error: SerializedError) {
    this.finish(run, "failed", { error });
  }

  private finish(
    run: Run,
    status: "completed" | "failed" | "cancelled",
    details: { output?: unknown; error?: SerializedError; by?: unknown },
  ) {
    if (terminal(run)) return;
    run.fixed = status;
    run.endedAt = Date.now();
    run.output = details.output;
    run.error = details.error;
    run.retryTimer?.cancel();
    run.retryTimer = undefined;
    for (const pending of run.pending.values()) pending.timer.cancel();
    run.pending.clear();
    run.planned = [];
    run.discover = false;
    this.note(run, "run", status, details.error ?? details.by ?? details.output);
    const base = { function_id: run.fn.id, run_id: run.id, event: run.event };
    if (status === "failed")
      this.emit("inngest/function.failed", { ...base, error: details.error });
    if (status === "cancelled") this.emit("inngest/function.cancelled", base);
    this.emit("inngest/function.finished", {
      ...base,
      ...(status === "completed" ? { result: details.output } : {}),
      ...(details.error ? { error: details.error } : {}),
    });
    this.notify();
  }

  private note(run: Run, step: string, what: TimelineEntry["what"], detail?: unknown) {
    run.timeline.push({
      at: new Date().toISOString(),
      step,
      what,
      ...(detail === undefined ? {} : { detail }),
    });
    const summary =
      what === "failed" || what === "step error" || what === "step failed" || what === "retry"
        ? ` ${JSON.stringify(detail)}`
        : "";
    this.options.log(`${run.fn.id} ${run.id} ${step === "run" ? "" : `${step} `}${what}${summary}`);
  }

  // ---------- flow control ----------

  /** The run's concurrency limits, each under its key. */
  private concurrencyOf(run: Run): { key: string; limit: number }[] {
    const raw = run.fn.concurrency;
    if (raw === undefined) return [];
    const limits: ConcurrencyLimit[] =
      typeof raw === "number" ? [{ limit: raw }] : Array.isArray(raw) ? raw : [raw];
    return limits
      .filter(({ limit }) => limit > 0)
      .map(({ limit, key, scope }) => ({
        key: `${scope && scope !== "fn" ? scope : run.fn.id}:${this.keyOf(run.fn, key, run.event)}`,
        limit,
      }));
  }

  // ---------- looking at runs ----------

  /**
   * The runs so far, oldest first. `functionId` may be the registered id or the function's own
   * (without the app's prefix).
   */
  runs(filter: { functionId?: string; status?: RunStatus } = {}): RunView[] {
    const wanted = filter.functionId;
    return this.allRuns
      .filter((run) => !wanted || run.fn.id === wanted || run.fn.id === `${this.appId}-${wanted}`)
      .map((run) => viewOf(run))
      .filter((run) => !filter.status || run.status === filter.status);
  }

  run(id: string): RunView | undefined {
    const run = this.allRuns.find((candidate) => candidate.id === id);
    return run && viewOf(run);
  }

  /** The function ids the app registered (empty before the first sync). */
  functionIds(): string[] {
    return [...(this.functions?.keys() ?? [])];
  }

  /** True when nothing is executing or about to: every run has ended, sleeps or waits. */
  isIdle(): boolean {
    return (
      this.accepting === 0 &&
      this.allRuns.every((run) => !["running", "queued"].includes(statusOf(run)))
    );
  }

  /** Resolves once `condition` holds, checked after every change; rejects after `timeoutMs`. */
  until(
    condition: () => boolean,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<void> {
    if (condition()) return Promise.resolve();
    const timeoutMs = options.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        cleanup();
        resolve();
      };
      const deadline = setTimeout(() => {
        cleanup();
        const runs = this.runs().map((run) => `${run.functionId} ${run.id}: ${run.status}`);
        reject(
          new Error(
            `Timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}; runs:\n  ${runs.join("\n  ") || "(none)"}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(deadline);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** Resolves once every run has ended, sleeps or waits (see isIdle). */
  idle(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.until(() => this.isIdle(), { ...options, what: "the driver to be idle" });
  }

  private notify() {
    for (const listener of [...this.listeners]) listener();
  }

  /** Stops every timer; runs stay as they are and nothing more is sent. */
  close() {
    this.closed = true;
    for (const run of this.allRuns) {
      run.retryTimer?.cancel();
      for (const pending of run.pending.values()) pending.timer.cancel();
    }
  }
}
