import { NonRetriableError, type GetStepTools } from "inngest";
import type { inngest } from "@/inngest/client";
import { toWorkflowError } from "@/inngest/middleware/workflow-errors";
import { numbered } from "@/inngest/steps/step-id";
import { recordFailure, recordSteps, type ProgressStepId } from "@/lib/onboarding/progress";

/**
 * A workflow step that shows on the user's progress page, declared once with its step id, so the
 * id and its progress cannot drift apart. `Result` is what the step returns: `record` is given
 * it.
 */
export interface TrackedStep<Result> {
  /** The workflow step's id (before any attempt number, see `numbered`). */
  id: string;
  /** The progress step this workflow step works on: running, then done or failed for good. */
  step: ProgressStepId;
  /** Steps that are done once this one starts (what had to be settled before it). */
  settles?: readonly ProgressStepId[];
  /** Records the start instead of "running", where starting changes more. */
  begin?: (userId: string) => Promise<void>;
  /** Records the result instead of "done", where the result says how it went. */
  record?: (userId: string, result: Result) => Promise<void>;
}

type Steps = GetStepTools<typeof inngest>;

/**
 * `step.run` for one user's run that records a tracked step's progress around its work: the
 * start, then the result, or the reason when it fails for good (a retry is not a failure).
 */
export function progressRunner(step: Steps, userId: string) {
  return <Result>(
    tracked: TrackedStep<NoInfer<Result>>,
    work: () => Promise<Result>,
    attempt = 1,
  ) =>
    step.run(numbered(tracked.id, attempt), async () => {
      if (tracked.settles) await recordSteps(userId, [...tracked.settles], "done");
      await (tracked.begin ? tracked.begin(userId) : recordSteps(userId, tracked.step, "running"));
      try {
        const result = await work();
        await (tracked.record
          ? tracked.record(userId, result)
          : recordSteps(userId, tracked.step, "done"));
        return result;
      } catch (error) {
        const final = toWorkflowError(error);
        if (final instanceof NonRetriableError) {
          await recordFailure(userId, tracked.step, final.message);
        }
        throw error;
      }
    });
}

export type ProgressRunner = ReturnType<typeof progressRunner>;
