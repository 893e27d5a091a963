import type { InngestFunction } from "inngest";
import type { Clock } from "./clock";
import { compileExpression, UnsupportedExpressionError, type Expression } from "./expression";
import { FlowControl, type FlowLimits } from "./flow-control";
import {
  checkpointOf,
  displayName,
  internalFunctionId,
  readAnswer,
  requestBody,
  serialized,
  type Answer,
  type ExecutionMode,
  type FunctionConfig,
  type InngestEvent,
  type Op,
  type Registration,
  type SerializedError,
} from "./protocol";
import { Run, type Dispatch, type HistoryEntry, type OpenWait } from "./run";
import { DAY, duration, retryAfterMs, sleepTarget, toMs, ulid } from "./time";
import { TransportError, type Transport } from "./transport";

/**
 * Inngest's part in running an app's functions, over the SDK's HTTP protocol (protocol.ts), as
 * Inngest calls `/api/inngest`: requests with memoized steps, ops, retry headers. On a clock
 * (clock.ts: simulated, or real with a time scale) and a transport (transport.ts: the serve
 * handler in this process, or the app's URL over HTTP, signed):
 *
 * - checkpointing, as Inngest runs v4 apps (the default mode): each request carries `fn_id` and
 *   `qi_id`, so the SDK runs steps one after another in it and reports each to `checkpoint`
 *   (Inngest's `POST /v1/checkpoint/<run id>/async`, which the caller serves), which saves it;
 *   a checkpoint from a request Inngest no longer waits for, or for a run that ended, is
 *   answered 409 and the SDK stops. In "step-by-step" mode every step
 *   is its own request, as when the SDK does not checkpoint;
 * - faults production has (`faults`): a step's answer lost after the step ran (Inngest retries,
 *   the step runs again), cancellation applied after a delay;
 * - an event bus: `send` events; each cancels the runs whose cancelOn it matches, resumes the
 *   waits it satisfies, then starts the functions it triggers (trigger `expression` included);
 *   event ids deduplicate for 24 h;
 * - `step.waitForEvent` is registered when the SDK reports it, and only an event that arrives
 *   after that, has its name and satisfies its `if` resumes it; its timeout resumes it with null;
 * - `step.sleep` / `step.sleepUntil` end when the clock reaches them;
 * - `cancelOn` is checked against every event arriving while a run is alive (its `timeout` too);
 *   a step already in flight finishes (Inngest cannot interrupt one), nothing after it runs, and
 *   onFailure is not called; `inngest/function.cancelled` is emitted;
 * - one run id for the whole run; each step gets `retries` + 1 attempts (default 3 + 1), retried
 *   after the SDK's Retry-After (RetryAfterError) or else Inngest's backoff table (15s, 30s, 1m,
 *   ... without its jitter); NonRetriableError ends the run; a run that fails for good emits
 *   `inngest/function.failed`, which starts the function's onFailure handler;
 * - steps in parallel: each planned step is requested on its own, side by side;
 * - flow control (flow-control.ts): `idempotency` (one run per key per 24 h), `concurrency`
 *   (limit on steps in flight per key, scope fn/env/account), `throttle` (run starts delayed,
 *   GCRA with burst), `rateLimit` (runs over the limit skipped).
 *
 * A cron trigger never fires by itself: a test starts the run with `start`, as Inngest would at
 * the scheduled time. What it does not implement (debounce, batchEvents, priority, singleton,
 * timeouts, the ops of step.invoke, signals, step.ai) and expressions it does not understand
 * (expression.ts) are `strict` errors, so no test believes they were applied; otherwise (a
 * server running any app) they are logged and left out, and an unknown op fails its run.
 */

export interface EventInput {
  id?: string;
  name: string;
  data?: unknown;
  ts?: number;
  v?: string;
}

/** An event as received, with the id the event API answered for it (a ULID, as Inngest's). */
export interface ReceivedEvent extends InngestEvent {
  internalId: string;
}

export interface ExecutorOptions {
  clock: Clock;
  transport: Transport;
  /** Throw on what the executor does not implement (tests), rather than log it (a server). */
  strict: boolean;
  /** ms of Inngest's time before retrying after failed attempt `attempt` (0 for the first). */
  backoff?: (attempt: number) => number;
  /** One line per history entry and per sync or skip; silent by default. */
  log?: (line: string) => void;
  /** "checkpointing" (Inngest's way with v4 apps, the default) or "step-by-step". */
  mode?: ExecutionMode;
  faults?: Faults;
}

/** What can go wrong on Inngest's side of a run in production; none by default. */
export interface Faults {
  /**
   * The app's answer for a step that ran is lost (a timeout, a deploy, a killed lambda): the
   * step's effect stays, Inngest never hears of it and retries the request after its backoff,
   * so the step runs again with `attempt` + 1. With checkpointing, the app dies right after the
   * step, before its checkpoint. "first": every step's first answer; or the steps `pick` picks.
   */
  lostAnswers?:
    "first" | ((step: { functionId: string; step: string; attempt: number }) => boolean);
  /**
   * How long after its event a cancellation takes effect ("2s", or ms): Inngest applies cancelOn
   * asynchronously, so a run may start another step after the cancelling event was accepted.
   */
  cancellationDelay?: string | number;
}

interface Registered extends FlowLimits {
  id: string;
  /** the function's id at Inngest, what `ctx.fn_id` carries */
  internalId: string;
  appId: string;
  url: string;
  maxAttempts: number;
  triggers: { event: string; expression?: Expression }[];
  cancel: { event: string; condition?: Expression; timeout?: number }[];
  idempotency?: Expression;
}

/** How long Inngest remembers an event id and an idempotency key. */
const DEDUP_WINDOW = DAY;
/** Inngest's retry backoff table (pkg/backoff), without its random jitter. */
const BACKOFF = [15, 30, 60, 120, 300, 600, 1200, 2400, 3600, 7200].map(
  (seconds) => seconds * 1000,
);
const inngestBackoff = (attempt: number) => BACKOFF[Math.min(attempt, BACKOFF.length - 1)]!;
const UNSUPPORTED = ["debounce", "batchEvents", "priority", "singleton", "timeouts"];
const DEFAULT_RETRIES = 3;
/** An expression a lenient executor could not compile: it never holds and keys nothing. */
const NEVER: Expression = { source: "", matches: () => false, valueOf: () => undefined };

export class Executor {
  /** Every run, in the order it was created. */
  readonly runs: Run[] = [];
  /** Every event the bus received (deduplicated ones excluded), its own included, in order. */
  readonly events: ReceivedEvent[] = [];
  readonly history: HistoryEntry[] = [];
  /** Triggered runs that flow control did not start. */
  readonly skipped: { functionId: string; event: InngestEvent; reason: string }[] = [];

  protected readonly clock: Clock;
  /** Requests sent and not yet answered and handled. */
  protected readonly inFlight = new Set<Promise<void>>();
  /** What went wrong while handling an answer in strict mode, for the next caller to throw. */
  protected failure: unknown;
  private readonly transport: Transport;
  private readonly strict: boolean;
  private readonly backoff: (attempt: number) => number;
  private readonly logLine?: (line: string) => void;
  private functions: Registered[] = [];
  private readonly functionOf = new WeakMap<Run, Registered>();
  private readonly ready: { run: Run; stepId: string }[] = [];
  private readonly flow: FlowControl;
  private readonly seenEventIds = new Map<string, { at: number; internalId: string }>();
  private readonly idempotencyKeys = new Map<string, number>();
  private readonly runById = new Map<string, Run>();
  /** How Inngest asks the app to run steps. */
  readonly mode: ExecutionMode;
  private readonly faults: Faults;
  /** Steps whose first answer the "first" fault has lost, by run and hashed id. */
  private readonly lostOnce = new Set<string>();

  constructor(options: ExecutorOptions) {
    this.clock = options.clock;
    this.transport = options.transport;
    this.strict = options.strict;
    this.backoff = options.backoff ?? inngestBackoff;
    this.logLine = options.log;
    this.flow = new FlowControl(options.clock);
    this.mode = options.mode ?? "checkpointing";
    this.faults = options.faults ?? {};
  }

  /** Inngest's time, epoch ms. */
  now(): number {
    return this.clock.now();
  }

  /** The functions Inngest knows from now on (runs already made keep theirs). */
  protected registerApps(apps: Registration[]) {
    this.functions = apps.flatMap(({ appId, functions }) =>
      functions.map((config) => this.compile(config, appId)),
    );
    for (const { appId, functions } of apps) {
      this.logLine?.(`synced ${functions.length} functions of ${appId || "the app"}`);
    }
  }

  /** The registered function ids (with their app's prefix). */
  functionIds(): string[] {
    return this.functions.map((fn) => fn.id);
  }

  /** Something happened (an event, an answer, a timer): a real-time executor acts on it. */
  protected changed() {}

  // ---------- the bus ----------

  /**
   * Inngest receives events now: duplicates of an event id seen within 24 h are dropped; each
   * event cancels the runs whose cancelOn it matches, resumes the waits it satisfies, then starts
   * the functions it triggers (subject to idempotency, rate limit and throttle). Returns the runs
   * it started.
   */
  send(events: EventInput | EventInput[]): Run[] {
    const runs = [events].flat().flatMap((event) => this.receive(event).runs);
    this.changed();
    return runs;
  }

  /** One event in: the id the event API answers for it (the first one's, for a duplicate). */
  protected receive(input: EventInput): { internalId: string; runs: Run[] } {
    const now = this.clock.now();
    const seen = input.id === undefined ? undefined : this.seenEventIds.get(input.id);
    if (seen && now - seen.at < this.clock.span(DEDUP_WINDOW)) {
      return { internalId: seen.internalId, runs: [] };
    }
    const internalId = ulid(now);
    const event = this.normalize(input, internalId);
    this.seenEventIds.set(event.id, { at: now, internalId });
    this.events.push({ ...event, internalId });

    for (const run of this.runs.filter((r) => !r.done)) {
      const fn = this.fn(run);
      const cancels = fn.cancel.some(
        (c) =>
          c.event === event.name &&
          (c.timeout === undefined || now - run.createdAt <= this.clock.span(c.timeout)) &&
          (!c.condition || c.condition.matches({ event: run.event, async: event })),
      );
      if (cancels) this.cancelAfterDelay(run, event);
    }
    for (const run of this.runs.filter((r) => !r.done)) {
      for (const [hashedId, { wait, condition }] of run.openWaits) {
        const satisfied =
          wait.event === event.name &&
          (!condition || condition.matches({ event: run.event, async: event }));
        if (satisfied) {
          this.log(run, "wait-matched", wait.id, { eventId: event.id });
          this.resolveWait(run, hashedId, event);
        }
      }
    }
    const runs = this.functions
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
          if (previous !== undefined && now - previous < this.clock.span(DEDUP_WINDOW)) {
            return this.skip(fn, event, `idempotency key ${key}`);
          }
          this.idempotencyKeys.set(key, now);
        }
        if (!this.flow.admits(fn.id, fn, event)) return this.skip(fn, event, "rate limit");
        return [this.createRun(fn, event)];
      });
    return { internalId, runs };
  }

  private skip(fn: Registered, event: InngestEvent, reason: string): Run[] {
    this.skipped.push({ functionId: fn.id, event, reason });
    this.logLine?.(`${fn.id}: skipped ${event.name} ${event.id} (${reason})`);
    return [];
  }

  /**
   * Starts a run of `fn` for `event` at once, as a replay or a redelivery Inngest let through:
   * no trigger match, no event-id deduplication, no idempotency key; throttle and concurrency
   * still apply. The event is not broadcast (it resumes no wait and cancels nothing).
   */
  start(fn: InngestFunction.Any | string, input: EventInput): Run {
    const id = idOf(fn);
    const registered = this.functions.find((f) => isFunction(f, id));
    if (!registered) throw new Error(`${id} is not among the executor's functions`);
    const run = this.createRun(registered, this.normalize(input, ulid(this.clock.now())));
    this.changed();
    return run;
  }

  /** The event as Inngest stores it (its data as JSON), with `id` unless it has its own. */
  private normalize(input: EventInput, id: string): InngestEvent {
    return {
      id: input.id ?? id,
      name: input.name,
      data: JSON.parse(JSON.stringify(input.data ?? {})),
      ts: input.ts ?? this.clock.now(),
      ...(input.v === undefined ? {} : { v: input.v }),
    };
  }

  /** Events named `name`, in arrival order. */
  eventsNamed(name: string): ReceivedEvent[] {
    return this.events.filter((event) => event.name === name);
  }

  // ---------- runs ----------

  /** Runs of a function, in order: by the function, its registered id, or its own id. */
  runsOf(fn: InngestFunction.Any | string): Run[] {
    const id = idOf(fn);
    return this.runs.filter((run) => isFunction(this.fn(run), id));
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

  private fn(run: Run): Registered {
    return this.functionOf.get(run)!;
  }

  /** The run with this id, if the executor made it. */
  runWithId(runId: string): Run | undefined {
    return this.runById.get(runId);
  }

  private createRun(fn: Registered, event: InngestEvent): Run {
    const run = new Run(ulid(this.clock.now()), fn.id, event, this.clock.now());
    this.functionOf.set(run, fn);
    this.runs.push(run);
    this.runById.set(run.id, run);
    this.log(run, "queued");
    const startAt = this.flow.throttledStart(fn.id, fn, event);
    if (startAt > this.clock.now()) {
      this.log(run, "throttled", undefined, { until: startAt });
      run.pending.add("step");
      this.at(
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

  private enqueue(run: Run, stepId: string) {
    if (run.done || run.pending.has(stepId)) return;
    run.pending.add(stepId);
    this.ready.push({ run, stepId });
  }

  /** Sends every queued request that concurrency allows, in the order they were queued. */
  protected dispatch() {
    for (let i = 0; i < this.ready.length;) {
      const { run, stepId } = this.ready[i]!;
      if (run.done) {
        this.ready.splice(i, 1);
        continue;
      }
      const fn = this.fn(run);
      const slots = this.flow.slots(fn.id, fn, run.event);
      if (!this.flow.take(slots)) {
        i++;
        continue;
      }
      this.ready.splice(i, 1);
      if (run.status === "queued") {
        run.status = "running";
        run.startedAt = this.clock.now();
      }
      const request = this.execute(run, stepId)
        .catch((error: unknown) => this.fault(run, error))
        .finally(() => {
          this.flow.release(slots);
          this.inFlight.delete(request);
          this.changed();
        });
      this.inFlight.add(request);
    }
  }

  /** One call to the function over Inngest's protocol, and what Inngest does with the answer. */
  private async execute(run: Run, stepId: string) {
    const fn = this.fn(run);
    const attempt = run.attempts.get(stepId) ?? 0;
    const dispatch: Dispatch = {
      id: ulid(this.clock.now()),
      stepId,
      attempt,
      parallel: run.parallel,
      checkpoints: 0,
    };
    run.dispatches.set(dispatch.id, dispatch);
    const url = new URL(fn.url);
    url.searchParams.set("stepId", stepId);
    this.log(run, "request-sent", stepId === "step" ? undefined : stepId, { attempt });
    const body = requestBody({
      runId: run.id,
      event: run.event,
      steps: run.memo,
      stack: run.stack,
      stepId,
      attempt,
      maxAttempts: fn.maxAttempts,
      parallel: run.parallel,
      requestId: dispatch.id,
      checkpoint:
        this.mode === "checkpointing"
          ? { fnId: fn.internalId, queueItemId: `${run.id}/${stepId}` }
          : undefined,
    });
    const answer = await this.call(url, body, { "x-request-id": dispatch.id });
    run.dispatches.delete(dispatch.id);
    const { status } = answer;
    const ops = status === 206 ? ([answer.body].flat() as Op[]) : [];
    this.log(run, "request-answered", undefined, {
      status,
      ...(ops.length ? { ops: ops.map(describeOp) } : {}),
    });
    run.pending.delete(stepId);
    if (run.done) {
      // Cancelled while the request was in flight: the step ran, the run goes no further.
      run.steps.push(...ops.filter(ranStep).map(displayName));
      return;
    }
    if (dispatch.lost) return this.answerLost(run, stepId, dispatch.attempt, dispatch.lost);
    if (status === 200) return this.complete(run, answer.body);
    if (status === 206) {
      const lost = ops.find((op) => ranStep(op) && this.loses(run, op, dispatch.attempt));
      if (lost) {
        this.log(run, "answer-lost", displayName(lost), { attempt: dispatch.attempt });
        return this.answerLost(run, stepId, dispatch.attempt, displayName(lost));
      }
      this.noticeFallback(run, dispatch, ops);
      // Inngest has the SDK plan every step itself once a request answers several at once.
      if (ops.length > 1) run.parallel = true;
      run.attempts.delete(stepId);
      for (const op of ops) {
        if (!run.done) this.handleOp(run, op, stepId, dispatch.attempt, answer);
      }
      if (!run.done && !run.pending.size && !run.openWaits.size && !run.openSleeps.size) {
        this.fail(run, {
          name: "ExecutorError",
          message: "The app reported neither a next step nor a result",
        });
      }
      return;
    }
    this.failed(run, stepId, dispatch.attempt, answer);
  }

  /** The app answered neither a result nor ops: a failure to retry, or the run's end. */
  private failed(run: Run, stepId: string, attempt: number, answer: Answer) {
    const { status, body } = answer;
    if ((body as { type?: unknown } | null)?.type === "internal") {
      throw new Error(`The SDK could not handle the executor's request: ${answer.text}`);
    }
    const refused = status === 401 || status === 403;
    const error = serialized(
      body,
      refused
        ? `The app refused the request (${status}); in cloud mode it must be signed with the app's INNGEST_SIGNING_KEY`
        : `The app answered ${status}`,
    );
    // A step's final error the function lets through is that failure, not another one.
    if (!sameError(error, run.finalStepError)) run.failures.push(error);
    const retriable = !refused && (answer.noRetry === null ? status >= 500 : !answer.noRetry);
    if (!retriable || attempt + 1 >= this.fn(run).maxAttempts) return this.fail(run, body ?? error);
    this.log(run, "function-error", undefined, { error });
    this.retry(run, stepId, attempt, error, answer.retryAfter);
  }

  /**
   * Inngest's `POST /v1/checkpoint/<run id>/async`: steps the app ran in a request that goes on,
   * each saved once however often it is reported. 409 for a stale request, one Inngest gave up
   * on (its steps are still saved, as Inngest saves them) or whose run ended: the SDK then stops.
   * 404 for a run Inngest never made. (Inngest also resets the request's attempts; this SDK
   * checkpoints only at attempt 0, so that changes nothing here.)
   */
  checkpoint(runId: string, body: unknown): { status: number; body: unknown } {
    const run = this.runById.get(runId);
    if (!run) return { status: 404, body: { error: `run ${runId} not found` } };
    const checkpoint = checkpointOf(body);
    if ("refused" in checkpoint) {
      // Answered as Inngest answers it; in a test, the SDK's malformed checkpoint fails the test.
      const problem = `A checkpoint of ${run.functionId} was refused: ${checkpoint.refused}`;
      if (this.strict) this.failure ??= new Error(problem);
      else this.logLine?.(problem);
      return { status: 400, body: { error: checkpoint.refused } };
    }
    const dispatch = this.dispatchOf(run, checkpoint.request_id);
    if (dispatch) dispatch.checkpoints++;
    // The app dies right after the step ran: this checkpoint never arrives, and the SDK stops.
    const lost =
      dispatch && !dispatch.lost && !run.done
        ? checkpoint.steps.find((op) => this.loses(run, op, dispatch.attempt))
        : undefined;
    if (dispatch && lost) dispatch.lost = displayName(lost);
    const saved = !run.done && !dispatch?.lost;
    const status = saved && dispatch ? 200 : 409;
    const steps = checkpoint.steps.map(displayName);
    this.log(run, "checkpoint", undefined, { steps, status });
    // The run ended while the request went on: the step ran, nothing after it will.
    if (run.done) run.steps.push(...steps);
    if (lost) this.log(run, "answer-lost", displayName(lost), { attempt: dispatch!.attempt });
    if (saved) {
      for (const op of checkpoint.steps) this.save(run, op);
      this.changed();
    }
    if (status === 200) return { status, body: {} };
    return { status, body: { error: `request ${checkpoint.request_id} is stale` } };
  }

  /** `checkpoint`, answered when the executor lets the request go on (the simulator: when it drives). */
  answerCheckpoint(runId: string, body: unknown): Promise<{ status: number; body: unknown }> {
    return Promise.resolve(this.checkpoint(runId, body));
  }

  /** The SDK tried to checkpoint and an injected failure answered (the Inngest API stand-in). */
  checkpointAttempted(runId: string, body: unknown) {
    const run = this.runById.get(runId);
    const requestId = (body as { request_id?: unknown } | null)?.request_id;
    const dispatch = run && this.dispatchOf(run, requestId);
    if (dispatch) dispatch.checkpoints++;
  }

  private dispatchOf(run: Run, requestId: unknown): Dispatch | undefined {
    return typeof requestId === "string" ? run.dispatches.get(requestId) : undefined;
  }

  /**
   * A checkpointing request answered a step it ran over HTTP at its first attempt: the SDK's
   * checkpoints failed and it fell back to step-by-step. If none of them reached the Inngest API
   * (or a failure injected there), the app's INNGEST_BASE_URL is served by nothing.
   */
  private noticeFallback(run: Run, dispatch: Dispatch, ops: Op[]) {
    const checkpointing =
      this.mode === "checkpointing" &&
      dispatch.stepId === "step" &&
      dispatch.attempt === 0 &&
      !dispatch.parallel;
    const ran = ops.filter(ranStep).map(displayName);
    if (!checkpointing || !ran.length) return;
    if (dispatch.checkpoints === 0) {
      this.report(
        `${run.functionId} ran ${ran.join(", ")} without reaching Inngest's checkpoint API (POST <INNGEST_BASE_URL>/v1/checkpoint/<run id>/async): serve the app's INNGEST_BASE_URL with the Inngest API stand-in (setupVendors() in a test)`,
      );
    }
    this.log(run, "fallback", undefined, { steps: ran });
  }

  /** The transport's answer; an app that could not be reached is an error to retry. */
  private async call(url: URL, body: string, headers: Record<string, string>): Promise<Answer> {
    try {
      return await readAnswer(await this.transport.post(url, body, headers));
    } catch (error) {
      if (!(error instanceof TransportError)) throw error;
      const failure = { name: "NetworkError", message: error.message };
      return { status: 0, body: failure, text: "", noRetry: false, retryAfter: null };
    }
  }

  private handleOp(run: Run, op: Op, stepId: string, attempt: number, answer: Answer) {
    const id = displayName(op);
    switch (op.op) {
      case "StepRun":
      case "Step":
        this.save(run, op);
        return this.enqueue(run, "step");
      case "StepError": {
        const error = serialized(op.error);
        run.failures.push(error);
        this.log(run, "step-error", id, { error, attempt });
        if (attempt + 1 < this.fn(run).maxAttempts) {
          return this.retry(run, stepId, attempt, error, answer.retryAfter, id);
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
        return this.enqueue(run, op.id);
      case "Sleep": {
        if (run.openSleeps.has(op.id)) return;
        const now = this.clock.now();
        const until = now + this.clock.span(sleepTarget(op.name!, now) - now);
        run.sleeps.push({ id, duration: op.name! });
        run.openSleeps.set(op.id, { id, until });
        this.log(run, "sleep", id, { until });
        this.at(
          until,
          () => {
            run.openSleeps.delete(op.id);
            this.log(run, "sleep-ended", id);
            this.memoize(run, op.id, null);
          },
          () => !run.done && run.openSleeps.has(op.id),
        );
        return;
      }
      case "WaitForEvent": {
        if (run.openWaits.has(op.id)) return;
        const opts = op.opts as { timeout: string; if?: string };
        const now = this.clock.now();
        const wait: OpenWait = {
          id,
          event: op.name!,
          timeout: opts.timeout,
          if: opts.if,
          registeredAt: now,
          timeoutAt: now + this.clock.span(duration(opts.timeout)),
        };
        const condition = opts.if ? this.expression(opts.if, `${run.functionId} ${id}`) : undefined;
        run.waits.push({ id, event: wait.event, timeout: wait.timeout, if: wait.if });
        run.openWaits.set(op.id, { wait, condition });
        this.log(run, "wait", id, { event: wait.event, timeout: wait.timeout, if: wait.if });
        this.at(
          wait.timeoutAt,
          () => {
            this.log(run, "wait-timed-out", id);
            this.resolveWait(run, op.id, null);
          },
          () => !run.done && run.openWaits.get(op.id)?.wait === wait,
        );
        return;
      }
      case "RunComplete":
        return this.complete(run, op.data ?? null);
      case "StepNotFound":
        return this.fail(run, {
          name: "StepNotFound",
          message: `The app could not find step ${id}`,
        });
      default: {
        const message = `Inngest's stand-in does not simulate ${op.op} (step "${id}")`;
        this.report(message);
        return this.fail(run, { name: "UnsupportedOp", message });
      }
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
    retryAfter: string | null,
    step?: string,
  ) {
    const requested = retryAfterMs(retryAfter, this.clock.now());
    const delay = requested ?? this.backoff(attempt);
    run.retries.push({
      step,
      attempt,
      delay,
      cause: requested === undefined ? "backoff" : "retry-after",
      error,
    });
    run.attempts.set(stepId, attempt + 1);
    run.pending.add(stepId);
    this.at(
      this.clock.now() + this.clock.span(delay),
      () => {
        run.pending.delete(stepId);
        this.enqueue(run, stepId);
      },
      () => !run.done,
    );
  }

  /** A step that ran, memoized once (a checkpoint and a fallback may both report it). */
  private save(run: Run, op: Op) {
    if (op.id in run.memo) return;
    const id = displayName(op);
    run.steps.push(id);
    this.log(run, "step-ran", id);
    run.memo[op.id] = { type: "data", data: op.data ?? null };
    run.stack.push(op.id);
  }

  /** Whether the faults lose the answer of this step, which ran. */
  private loses(run: Run, op: Op, attempt: number): boolean {
    const pick = this.faults.lostAnswers;
    if (pick === undefined) return false;
    if (typeof pick === "function") {
      return pick({ functionId: run.functionId, step: displayName(op), attempt });
    }
    const key = `${run.id}:${op.id}`;
    if (this.lostOnce.has(key)) return false;
    this.lostOnce.add(key);
    return true;
  }

  /** Inngest never got the answer of a request whose step ran: it retries the request. */
  private answerLost(run: Run, stepId: string, attempt: number, step: string) {
    const error = {
      name: "AnswerLost",
      message: `The answer to ${step}, which ran, never reached Inngest`,
    };
    run.failures.push(error);
    if (attempt + 1 >= this.fn(run).maxAttempts) return this.fail(run, error);
    this.retry(run, stepId, attempt, error, null, step);
  }

  private memoize(run: Run, hashedId: string, data: unknown) {
    run.memo[hashedId] = { type: "data", data };
    run.stack.push(hashedId);
    this.enqueue(run, "step");
  }

  private resolveWait(run: Run, hashedId: string, event: InngestEvent | null) {
    run.openWaits.delete(hashedId);
    this.memoize(run, hashedId, event);
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

  /** Inngest applies a cancellation asynchronously: after `faults.cancellationDelay`, if any. */
  private cancelAfterDelay(run: Run, event: InngestEvent) {
    const delay = toMs(this.faults.cancellationDelay ?? 0);
    if (delay <= 0) return this.cancel(run, event);
    this.log(run, "cancel-received", undefined, { eventId: event.id });
    this.at(
      this.clock.now() + this.clock.span(delay),
      () => this.cancel(run, event),
      () => !run.done,
    );
  }

  private cancel(run: Run, event: InngestEvent) {
    run.status = "cancelled";
    run.cancelledBy = event;
    this.end(run, "cancelled", { eventId: event.id });
    this.send({
      name: "inngest/function.cancelled",
      data: { function_id: run.functionId, run_id: run.id, event: run.event },
    });
  }

  private end(run: Run, type: "completed" | "failed" | "cancelled", detail?: unknown) {
    run.endedAt = this.clock.now();
    run.openWaits.clear();
    run.openSleeps.clear();
    run.pending.clear();
    this.log(run, type, undefined, detail);
  }

  // ---------- what cannot be done ----------

  /** What the executor does not implement: thrown when strict, else logged. */
  private report(problem: string) {
    if (this.strict) throw new Error(problem);
    this.logLine?.(problem);
  }

  /** Something broke while handling an answer: strict, the driver of the executor throws it. */
  private fault(run: Run, error: unknown) {
    if (this.strict) {
      this.failure ??= error;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    if (!run.done) this.fail(run, { name: "ExecutorError", message });
  }

  private expression(source: string, where: string): Expression {
    try {
      return compileExpression(source);
    } catch (error) {
      if (this.strict || !(error instanceof UnsupportedExpressionError)) throw error;
      this.logLine?.(`${where}: ${error.message}; it never holds`);
      return NEVER;
    }
  }

  private compile(config: FunctionConfig, appId: string): Registered {
    for (const option of UNSUPPORTED) {
      if (config[option] !== undefined) {
        this.report(`Inngest's stand-in does not simulate \`${option}\` (${config.id})`);
      }
    }
    const expression = (source: string | undefined) =>
      source ? this.expression(source, config.id) : undefined;
    const step = Object.values(config.steps)[0];
    if (!step) throw new Error(`${config.id} registered no step URL`);
    const { throttle, rateLimit } = config;
    return {
      id: config.id,
      internalId: internalFunctionId(config.id),
      appId,
      url: step.runtime.url,
      maxAttempts: (step.retries?.attempts ?? DEFAULT_RETRIES) + 1,
      // A schedule never fires by itself: a test (or a person) starts such a run with `start`,
      // as Inngest would at the scheduled time.
      triggers: config.triggers.flatMap((trigger) => {
        if (!("event" in trigger)) {
          this.logLine?.(`${config.id} runs on a schedule, which this stand-in leaves to you`);
          return [];
        }
        return [{ event: trigger.event, expression: expression(trigger.expression) }];
      }),
      cancel: (config.cancel ?? []).map((c) => ({
        event: c.event,
        condition: expression(c.if),
        timeout: c.timeout === undefined ? undefined : duration(c.timeout),
      })),
      idempotency: expression(config.idempotency),
      concurrency: [config.concurrency ?? []]
        .flat()
        .map((c) => (typeof c === "number" ? { limit: c } : c))
        .filter(({ limit }) => limit > 0)
        .map(({ limit, key, scope }) => ({ limit, key: expression(key), scope: scope ?? "fn" })),
      throttle: throttle && {
        limit: throttle.limit,
        burst: throttle.burst ?? 0,
        period: duration(throttle.period),
        key: expression(throttle.key),
      },
      rateLimit: rateLimit && {
        limit: rateLimit.limit,
        period: duration(rateLimit.period),
        key: expression(rateLimit.key),
      },
    };
  }

  // ---------- time and record ----------

  /** A timer on the executor's clock; what it fires is a change like any other. */
  private at(at: number, fire: () => void, live: () => boolean) {
    this.clock.schedule(
      at,
      () => {
        fire();
        this.changed();
      },
      live,
    );
  }

  private log(run: Run, type: HistoryEntry["type"], step?: string, detail?: unknown) {
    this.history.push({
      at: this.clock.now(),
      runId: run.id,
      functionId: run.functionId,
      type,
      step,
      detail,
    });
    this.logLine?.(
      `${run.functionId} ${run.id} ${type}${step ? ` ${step}` : ""}${detail === undefined ? "" : ` ${JSON.stringify(detail)}`}`,
    );
  }

  /** Each run's state in a line, for messages about a condition that never held. */
  protected describe(): string {
    return this.runs
      .map((run) => {
        const waits = run.waiting.map((w) => `waiting for ${w.id}`);
        const sleeps = [...run.openSleeps.values()].map((s) => `sleeping in ${s.id}`);
        return `${run.functionId} ${run.status}${[...waits, ...sleeps].map((s) => `, ${s}`).join("")}`;
      })
      .join("; ");
  }
}

/** A trigger's event name; "app/*" matches every event under "app/". */
function matchesName(pattern: string, name: string) {
  return pattern.endsWith("/*") ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** A function's id as Inngest registers it: prefixed with its app's id. */
function functionIdOf(fn: InngestFunction.Any): string {
  return fn.id((fn as unknown as { client: { id: string } }).client.id);
}

const idOf = (fn: InngestFunction.Any | string) => (typeof fn === "string" ? fn : functionIdOf(fn));

/** Whether `id` names the function: its registered id, or its own (without the app's prefix). */
const isFunction = (fn: Registered, id: string) => fn.id === id || fn.id === `${fn.appId}-${id}`;

/** "StepRun create-stripe-customer", "WaitForEvent wait-for-payment-details", "RunComplete". */
const describeOp = (op: Op) =>
  [op.op, op.displayName ?? op.userland?.id ?? op.name].filter(Boolean).join(" ");

/** An op reporting a `step.run` that ran (rather than failed, was planned, sleeps or waits). */
const ranStep = (op: Op) => op.op === "StepRun" || op.op === "Step";

const sameError = (a: SerializedError, b: SerializedError | undefined) =>
  a.name === b?.name && a.message === b.message;
