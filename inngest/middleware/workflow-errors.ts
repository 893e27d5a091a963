import { Middleware, NonRetriableError, RetryAfterError } from "inngest";
import { PermanentError } from "@/lib/errors";
import { classifyClerkError } from "@/lib/vendors/clerk";
import { reasonForUser } from "@/lib/vendors/failure";
import { classifyResendError } from "@/lib/vendors/resend";
import { classifyStripeError } from "@/lib/vendors/stripe";

/**
 * The one place that decides what a workflow retries. Domain code throws its own errors and lets
 * vendor errors through; here they become Inngest's: a PermanentError or a vendor's permanent
 * refusal stops the run (NonRetriableError, whose message is always ours: the PermanentError's,
 * or `reasonForUser` for a vendor's refusal), a rate limit waits for the vendor's Retry-After
 * (RetryAfterError), Clerk being unavailable waits longer each time (clerkOutageWait), and
 * anything else is retried on Inngest's schedule. `attempt` is the try that failed (0: the first).
 */
export function toWorkflowError(error: unknown, attempt = 0): unknown {
  if (error instanceof NonRetriableError || error instanceof RetryAfterError) return error;
  if (error instanceof PermanentError) {
    return new NonRetriableError(error.message, { cause: error });
  }
  const failure =
    classifyStripeError(error) ?? classifyClerkError(error) ?? classifyResendError(error);
  switch (failure?.kind) {
    case "permanent":
      // The message reaches the user (the run's failure reason); the vendor's own words stay in
      // the cause, which the step's "step failed" log line carries with the run id.
      return new NonRetriableError(reasonForUser(failure), { cause: error });
    case "rate_limited":
      return new RetryAfterError(`${failure.vendor} rate limit reached`, failure.retryAfterMs, {
        cause: error,
      });
    case "transient":
      if (failure.vendor !== "Clerk") return error;
      return new RetryAfterError("Clerk is unavailable", clerkOutageWait(attempt), {
        cause: error,
      });
    default:
      return error;
  }
}

const MINUTE = 60_000;
/**
 * The waits after each failed try while Clerk is unavailable (a 5xx, no answer at all). Clerk's
 * outages last hours, longer than Inngest's backoff (minutes over five retries), and a run that
 * gives up too soon fails a sign-up that was paid for: with five retries, provisioning keeps
 * trying for over three hours.
 */
const clerkOutageWaits = [15_000, 2 * MINUTE, 15 * MINUTE, 60 * MINUTE, 120 * MINUTE];
export const clerkOutageWait = (attempt: number) =>
  clerkOutageWaits[Math.min(attempt, clerkOutageWaits.length - 1)]!;

/**
 * What the user reads about a run that failed (in an `onFailure` handler, whose error is the
 * run's last one, serialized). A NonRetriableError's message is ours (see above); anything else
 * ran out of retries with an error nobody worded for the user, so `otherwise` says it, and the
 * handler logs the detail.
 */
export function failureReasonForUser(error: Error, otherwise: string): string {
  return error.name === "NonRetriableError" ? error.message : otherwise;
}

/** Runs a step or the function body, its error made Inngest's. */
async function asWorkflow(next: () => Promise<unknown>, attempt: number) {
  try {
    return await next();
  } catch (error) {
    throw toWorkflowError(error, attempt);
  }
}

export class WorkflowErrorsMiddleware extends Middleware.BaseMiddleware {
  readonly id = "onramp:workflow-errors";

  wrapStepHandler({ next, ctx }: Middleware.WrapStepHandlerArgs) {
    return asWorkflow(next, ctx.attempt);
  }

  wrapFunctionHandler({ next, ctx }: Middleware.WrapFunctionHandlerArgs) {
    return asWorkflow(next, ctx.attempt);
  }
}
