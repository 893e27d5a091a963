import { Inngest } from "inngest";
import { LogContextMiddleware } from "@/inngest/middleware/log-context";
import { WorkflowErrorsMiddleware } from "@/inngest/middleware/workflow-errors";
import { env, inngestDevMode } from "@/lib/env";
import { logger } from "@/lib/logger";

/**
 * The one Inngest client. Configuration comes from the validated env, so INNGEST_DEV may point at
 * a dev server under `next start` too, and INNGEST_BASE_URL at a self-hosted or stand-in API.
 */
export const inngest = new Inngest({
  id: "onramp",
  isDev: inngestDevMode,
  baseUrl: env.INNGEST_BASE_URL ?? devServerUrl(env.INNGEST_DEV),
  eventKey: env.INNGEST_EVENT_KEY,
  signingKey: env.INNGEST_SIGNING_KEY,
  logger,
  middleware: [LogContextMiddleware, WorkflowErrorsMiddleware],
});

/** INNGEST_DEV may be "1" or the dev server's URL. */
function devServerUrl(dev: string | undefined) {
  return dev && /^https?:\/\//.test(dev) ? dev : undefined;
}
