import { Middleware } from "inngest";
import { type LogFields, rememberRunContext, withLogContext } from "@/lib/logger";

/** Who a run is about, from the event that started it: the id an operator searches for. */
export function subjectOf(data: unknown): LogFields {
  if (!data || typeof data !== "object") return {};
  const record = data as Record<string, unknown>;
  const id = typeof record.id === "string" ? record.id : undefined;
  const organization = record.organization as { id?: unknown } | undefined;
  const userData = record.public_user_data as { user_id?: unknown } | undefined;
  if (typeof record.userId === "string") return { userId: record.userId };
  if (id?.startsWith("user_")) return { userId: id };
  if (id?.startsWith("org_")) return { orgId: id };
  if (typeof organization?.id === "string") {
    return { orgId: organization.id, userId: userData?.user_id };
  }
  if (typeof record.customer === "string")
    return { stripeCustomerId: record.customer, stripeObjectId: id };
  return id ? { objectId: id } : {};
}

function runFields(
  ctx: Middleware.WrapFunctionHandlerArgs["ctx"],
  fn: Middleware.WrapFunctionHandlerArgs["fn"],
) {
  // runID, as the SDK names it on its own lines, so one key finds every line of a run.
  return { fn: fn.id(), runID: ctx.runId, attempt: ctx.attempt, ...subjectOf(ctx.event?.data) };
}

/**
 * Every log line written during a run (ours and the SDK's) carries the function, run, user or org
 * and, inside a step, the step id; step starts are logged, so a run can be followed in the logs
 * as in the dev server's timeline. The SDK writes its "Inngest step error" and "Inngest function
 * error" lines from its own hooks, outside this context: the logger finds the run's fields by
 * run id instead (rememberRunContext), with the step that failed.
 */
export class LogContextMiddleware extends Middleware.BaseMiddleware {
  readonly id = "onramp:log-context";

  wrapFunctionHandler({ ctx, fn, next }: Middleware.WrapFunctionHandlerArgs) {
    const fields = runFields(ctx, fn);
    rememberRunContext(ctx.runId, fields);
    return withLogContext(fields, next);
  }

  // Steps are not called inside the function handler's async context, so they set it again.
  wrapStepHandler({ ctx, fn, next, stepInfo }: Middleware.WrapStepHandlerArgs) {
    const { logger } = ctx as unknown as { logger: Pick<Console, "info" | "warn"> };
    const fields = runFields(ctx, fn);
    const stepFields = { ...fields, step: stepInfo.options.id };
    return withLogContext(stepFields, async () => {
      logger.info("step started", { stepType: stepInfo.stepType });
      try {
        const result = await next();
        rememberRunContext(ctx.runId, fields);
        return result;
      } catch (error) {
        rememberRunContext(ctx.runId, stepFields);
        logger.warn("step failed", { error });
        throw error;
      }
    });
  }
}
