import { InngestTestEngine, mockCtx } from "@inngest/test";
import type { Context, EventPayload, InngestFunction } from "inngest";

/**
 * Runs an Inngest function to its end with @inngest/test, adding what the engine leaves out and
 * Inngest does: retries. The engine stops at the first error (a failed step comes back as its
 * serialized error); Inngest would call the function again with every finished step memoized
 * and the failed step run anew, until it succeeds, it throws NonRetriableError, or its attempts
 * (`retries` + 1) are used up. This driver does exactly that, with one engine per attempt sharing
 * the memoized steps, so a retry re-runs the real step code against the real (intercepted) SDKs.
 *
 * `step.waitForEvent` and `step.sleep` are replaced through `transformCtx` (mocking them through
 * `steps` is broken in @inngest/test 1.0 with inngest 4: inngest-js#1652); they are recorded, and
 * each wait answers what the test scripted for its step id.
 */

export interface Wait {
  id: string;
  event: string;
  timeout: unknown;
  if?: string;
}

/** What a wait receives: the event, or null for a timeout; a function runs when the wait starts. */
export type WaitAnswer =
  EventPayload | null | (() => EventPayload | null | Promise<EventPayload | null>);

export interface RunOptions {
  /** The answer to each waitForEvent, by step id. A wait the test did not script fails the run. */
  waits?: Record<string, WaitAnswer>;
  /** Called once when the run reaches each sleep; return "cancel" to end the run there, as a cancelOn event does. */
  onSleep?: (id: string, duration: unknown) => void | "cancel" | Promise<void | "cancel">;
}

export interface SerializedError {
  name: string;
  message: string;
}

export interface RunOutcome {
  result?: unknown;
  /** Why the run failed for good; undefined when it completed or was cancelled. */
  error?: SerializedError;
  cancelled: boolean;
  /** Every error a step or the function threw, in order, including those a retry got past. */
  failures: SerializedError[];
  waits: Wait[];
  sleeps: { id: string; duration: unknown }[];
}

class RunCancelled extends Error {
  name = "RunCancelled";
}

export async function runFunction(
  fn: InngestFunction.Any,
  event: EventPayload,
  options: RunOptions = {},
): Promise<RunOutcome> {
  const maxAttempts = ((fn.opts as { retries?: number }).retries ?? 3) + 1;
  const memoized: InngestTestEngine.MockedStep[] = [];
  const outcome: RunOutcome = { cancelled: false, failures: [], waits: [], sleeps: [] };
  const answered = new Map<string, Promise<EventPayload | null>>();
  const slept = new Map<string, Promise<void | "cancel">>();

  // Every execution replays the handler from the top, so each wait and sleep is reached again:
  // the first arrival decides, later ones get the same answer, as memoization would give them.
  const transformCtx = (ctx: Context.Any): Context.Any => {
    const mocked = mockCtx(ctx) as Context.Any;
    mocked.step.waitForEvent = (async (id: string, opts: Omit<Wait, "id"> & { event: unknown }) => {
      if (!answered.has(id)) {
        const event =
          typeof opts.event === "string" ? opts.event : (opts.event as { name: string }).name;
        outcome.waits.push({ id, event, timeout: opts.timeout, if: opts.if });
        const scripted = options.waits?.[id];
        if (scripted === undefined) throw new Error(`The test did not script the wait "${id}"`);
        answered.set(id, Promise.resolve(typeof scripted === "function" ? scripted() : scripted));
      }
      return answered.get(id);
    }) as Context.Any["step"]["waitForEvent"];
    mocked.step.sleep = (async (id: string, duration: unknown) => {
      if (!slept.has(id)) {
        outcome.sleeps.push({ id, duration });
        slept.set(id, Promise.resolve(options.onSleep?.(id, duration)));
      }
      if ((await slept.get(id)) === "cancel") throw new RunCancelled(id);
    }) as Context.Any["step"]["sleep"];
    return mocked;
  };

  const failuresByStep = new Map<string, number>();
  for (;;) {
    const engine = new InngestTestEngine({
      function: fn,
      events: [event],
      steps: memoized,
      transformCtx,
    });
    // The engine appends each finished step to `memoized`, a failed one as a handler that throws.
    const { result, error } = (await engine.execute()) as {
      result?: unknown;
      error?: SerializedError;
    };
    if (!error) return { ...outcome, result };
    if (error.name === "RunCancelled") return { ...outcome, cancelled: true };
    outcome.failures.push({ name: error.name, message: error.message });

    const failedSteps = memoized.filter((step) => throws(step.handler)).map((step) => step.id);
    const attemptsKey = failedSteps[0] ?? "(function)";
    const attempts = (failuresByStep.get(attemptsKey) ?? 0) + 1;
    failuresByStep.set(attemptsKey, attempts);
    if (error.name === "NonRetriableError" || attempts >= maxAttempts) {
      return { ...outcome, error: { name: error.name, message: error.message } };
    }
    // Forget the failure so the next attempt runs the step again.
    for (let i = memoized.length - 1; i >= 0; i--) {
      if (failedSteps.includes(memoized[i]!.id)) memoized.splice(i, 1);
    }
  }
}

function throws(handler: () => unknown) {
  try {
    handler();
    return false;
  } catch {
    return true;
  }
}
