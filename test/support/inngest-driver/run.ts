import type { EventPayload, FunctionConfig, SerializedError, StepResult } from "./protocol";

/**
 * A run as the driver keeps it, and as it is shown: its status, the waits it is in, its timeline.
 */

export type RunStatus =
  "queued" | "running" | "sleeping" | "waiting" | "completed" | "failed" | "cancelled";

export interface TimelineEntry {
  at: string;
  /** The step's id as the function names it, or "run" for the run itself. */
  step: string;
  what:
    | "started"
    | "ran"
    | "step error"
    | "step failed"
    | "planned"
    | "sleeping"
    | "woke"
    | "waiting"
    | "event received"
    | "wait timed out"
    | "retry"
    | "completed"
    | "failed"
    | "cancelled";
  detail?: unknown;
}

export interface RunView {
  id: string;
  functionId: string;
  status: RunStatus;
  event: EventPayload;
  startedAt: string;
  endedAt?: string;
  output?: unknown;
  error?: SerializedError;
  /** The waits the run is in, if any. */
  waitingFor: { step: string; event: string; if?: string; until: string }[];
  sleepingUntil?: string;
  timeline: TimelineEntry[];
}

export interface Pending {
  kind: "sleep" | "wait";
  step: string;
  until: number;
  event?: string;
  if?: string;
  timer: { cancel(): void };
}

export interface Run {
  id: string;
  fn: FunctionConfig;
  event: EventPayload;
  startedAt: number;
  endedAt?: number;
  /** set for states no step can change: queued (not started yet) and the terminal ones */
  fixed?: "queued" | "completed" | "failed" | "cancelled";
  steps: Record<string, StepResult>;
  stack: string[];
  planned: string[];
  discover: boolean;
  pending: Map<string, Pending>;
  attempt: number;
  retryTimer?: { cancel(): void };
  busy: boolean;
  output?: unknown;
  error?: SerializedError;
  timeline: TimelineEntry[];
}

export const terminal = (run: Run) =>
  run.fixed === "completed" || run.fixed === "failed" || run.fixed === "cancelled";

/** What the run is doing now. */
export function statusOf(run: Run): RunStatus {
  if (run.fixed) return run.fixed;
  if (run.busy || run.planned.length || run.discover || run.retryTimer) return "running";
  const kinds = [...run.pending.values()].map((pending) => pending.kind);
  if (kinds.includes("wait")) return "waiting";
  return kinds.includes("sleep") ? "sleeping" : "running";
}

/** The run as the driver shows it (a copy: later changes do not reach it). */
export function viewOf(run: Run): RunView {
  const pending = [...run.pending.values()];
  const sleep = pending.find((p) => p.kind === "sleep");
  return {
    id: run.id,
    functionId: run.fn.id,
    status: statusOf(run),
    event: run.event,
    startedAt: new Date(run.startedAt).toISOString(),
    ...(run.endedAt ? { endedAt: new Date(run.endedAt).toISOString() } : {}),
    ...(run.output !== undefined ? { output: run.output } : {}),
    ...(run.error ? { error: run.error } : {}),
    waitingFor: pending
      .filter((p) => p.kind === "wait")
      .map((p) => ({
        step: p.step,
        event: p.event!,
        ...(p.if ? { if: p.if } : {}),
        until: new Date(p.until).toISOString(),
      })),
    ...(sleep ? { sleepingUntil: new Date(sleep.until).toISOString() } : {}),
    timeline: run.timeline.map((entry) => ({ ...entry })),
  };
}
