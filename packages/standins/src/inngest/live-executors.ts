import type { Executor } from "./executor";

/**
 * The simulators alive in this process, so that the Inngest API stand-in behind msw
 * (event-api.ts) hands each checkpoint the SDK sends to the simulator whose run it reports, as
 * Inngest's API hands it to its executor. Held weakly: a test's simulator goes when the test does.
 */
const executors = new Set<WeakRef<Executor>>();

export function addLiveExecutor(executor: Executor) {
  executors.add(new WeakRef(executor));
}

/** The live executor that made the run with this id. */
export function executorOfRun(runId: string): Executor | undefined {
  for (const ref of executors) {
    const executor = ref.deref();
    if (!executor) executors.delete(ref);
    else if (executor.runWithId(runId)) return executor;
  }
  return undefined;
}
