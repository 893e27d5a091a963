import type { Expression } from "./expression";
import type { InngestEvent, Memo, SerializedError } from "./protocol";

/** A run as the executor keeps it (live: its fields change as it goes), and its JSON view. */

/** A waitForEvent as the SDK reported it to Inngest (its timeout normalized: "7d" goes as "1w"). */
export interface WaitRecord {
  id: string;
  event: string;
  timeout: string;
  if?: string;
}

/** A wait the run is in: registered at, and timing out at, the executor's clock. */
export interface OpenWait extends WaitRecord {
  registeredAt: number;
  timeoutAt: number;
}

export interface RetryRecord {
  /** the step's id, or undefined for an error thrown outside any step */
  step?: string;
  /** the attempt that failed (0 is the first) */
  attempt: number;
  /** ms of Inngest's time until the next attempt */
  delay: number;
  cause: "retry-after" | "backoff";
  error: SerializedError;
}

/** "queued" until its first request is sent (throttle, concurrency). */
export type RunStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export interface HistoryEntry {
  /** the executor's clock, epoch ms */
  at: number;
  runId: string;
  functionId: string;
  type:
    | "queued"
    | "throttled"
    | "request-sent"
    | "request-answered"
    | "checkpoint"
    | "fallback"
    | "answer-lost"
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
    | "cancel-received"
    | "cancelled";
  step?: string;
  detail?: unknown;
}

/** A request sent to the app and not yet answered. */
export interface Dispatch {
  /** the request's `x-request-id`, which the SDK echoes in its checkpoints */
  readonly id: string;
  /** "step", or the hashed id of the planned step it runs */
  readonly stepId: string;
  readonly attempt: number;
  /** whether the SDK was told not to run steps at once (disable_immediate_execution) */
  readonly parallel: boolean;
  /** checkpoint calls made in it that reached the Inngest API */
  checkpoints: number;
  /** the step whose answer a fault lost: Inngest gave up on the request */
  lost?: string;
}

interface OpenSleep {
  id: string;
  until: number;
}

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
  cancelledBy?: InngestEvent;
  startedAt?: number;
  endedAt?: number;

  /** @internal memoized step state, by hashed id, and the order it was reached */
  readonly memo: Record<string, Memo> = {};
  /** @internal */ readonly stack: string[] = [];
  /** @internal attempt of each outstanding request, by requested step ("step" = discovery) */
  readonly attempts = new Map<string, number>();
  /** @internal requests queued, in flight or awaiting a retry or a throttled start */
  readonly pending = new Set<string>();
  /** @internal requests in flight, by request id */
  readonly dispatches = new Map<string, Dispatch>();
  /** @internal by hashed id, with the wait's `if` */
  readonly openWaits = new Map<string, { wait: OpenWait; condition?: Expression }>();
  /** @internal by hashed id */ readonly openSleeps = new Map<string, OpenSleep>();
  /** @internal */ parallel = false;
  /** @internal the last error a step failed with for good */
  finalStepError?: SerializedError;

  constructor(
    readonly id: string,
    readonly functionId: string,
    readonly event: InngestEvent,
    readonly createdAt: number,
  ) {}

  get cancelled(): boolean {
    return this.status === "cancelled";
  }

  get done(): boolean {
    return this.status === "completed" || this.status === "failed" || this.status === "cancelled";
  }

  /** The waits the run is in now. */
  get waiting(): OpenWait[] {
    return [...this.openWaits.values()].map(({ wait }) => wait);
  }

  /** The wait with this step id, while it is registered and not yet resumed. */
  waitingFor(stepId: string): OpenWait | undefined {
    return this.waiting.find((wait) => wait.id === stepId);
  }

  /** Whether the run is in the sleep with this step id. */
  sleeping(stepId: string): boolean {
    return [...this.openSleeps.values()].some((sleep) => sleep.id === stepId);
  }

  /** Whether anything is to be sent for the run: it is neither over nor only sleeping or waiting. */
  get busy(): boolean {
    return !this.done && this.pending.size > 0;
  }
}

/** A run as GET /runs shows it: what it is doing now, and its history. */
export interface RunView {
  id: string;
  functionId: string;
  status: RunStatus | "sleeping" | "waiting";
  event: InngestEvent;
  startedAt?: string;
  endedAt?: string;
  result?: unknown;
  error?: SerializedError;
  waitingFor: { step: string; event: string; if?: string; until: string }[];
  sleepingUntil?: string;
  history: (Omit<HistoryEntry, "at" | "runId" | "functionId"> & { at: string })[];
}

const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());

export function viewOf(run: Run, history: HistoryEntry[]): RunView {
  const sleep = [...run.openSleeps.values()][0];
  const idle = !run.done && !run.busy && run.status !== "queued";
  return {
    id: run.id,
    functionId: run.functionId,
    status:
      idle && run.openWaits.size
        ? "waiting"
        : idle && run.openSleeps.size
          ? "sleeping"
          : run.status,
    event: run.event,
    startedAt: iso(run.startedAt),
    endedAt: iso(run.endedAt),
    result: run.result,
    error: run.error,
    waitingFor: run.waiting.map((wait) => ({
      step: wait.id,
      event: wait.event,
      if: wait.if,
      until: iso(wait.timeoutAt)!,
    })),
    sleepingUntil: iso(sleep?.until),
    history: history
      .filter((entry) => entry.runId === run.id)
      .map(({ at, type, step, detail }) => ({ at: iso(at)!, type, step, detail })),
  };
}
