import { NonRetriableError, type GetStepTools } from "inngest";
import type { inngest } from "@/inngest/client";
import { toWorkflowError } from "@/inngest/middleware/workflow-errors";
import { recordFailure, recordSteps, type ProgressStepId } from "@/lib/onboarding/progress";

/**
 * How a workflow's steps show on the user's progress page, declared once per function instead of
 * progress calls woven into each step. A step id matches with or without an attempt suffix
 * (`confirm-setup-intent-2`).
 */
export type ProgressPlan = Record<
  string,
  {
    /** The progress step this workflow step works on: running, then done or failed for good. */
    step: ProgressStepId;
    /** Steps that are done once this one starts (what had to be settled before it). */
    settles?: ProgressStepId[];
    /** Records the start instead of "running", where starting changes more. */
    begin?: (userId: string) => Promise<void>;
    /** Records the result instead of "done", where the result says how it went. */
    record?: (userId: string, result: never) => Promise<void>;
  }
>;

type Steps = GetStepTools<typeof inngest>;

/**
 * `step.run` for one user's run, recording each planned step's progress around its work: the
 * start, then the result, or the reason when it fails for good (a retry is not a failure).
 */
export function runWithProgress(step: Steps, userId: string, plan: ProgressPlan): Steps["run"] {
  const run = (id: string, work: () => unknown) => {
    const entry = plan[id.replace(/-\d+$/, "")];
    if (!entry) return step.run(id, work);
    return step.run(id, async () => {
      if (entry.settles) await recordSteps(userId, entry.settles, "done");
      await (entry.begin ? entry.begin(userId) : recordSteps(userId, entry.step, "running"));
      try {
        const result = await work();
        await (entry.record
          ? entry.record(userId, result as never)
          : recordSteps(userId, entry.step, "done"));
        return result;
      } catch (error) {
        const final = toWorkflowError(error);
        if (final instanceof NonRetriableError) {
          await recordFailure(userId, entry.step, final.message);
        }
        throw error;
      }
    });
  };
  return run as Steps["run"];
}
