import { AsyncLocalStorage } from "node:async_hooks";
import { Inngest, type SendEventPayload } from "inngest";
import { LogContextMiddleware } from "@/inngest/middleware/log-context";
import { WorkflowErrorsMiddleware } from "@/inngest/middleware/workflow-errors";
import { env, inngestDevMode } from "@/lib/env";
import { logger } from "@/lib/logger";

/**
 * The abort signal of a send that must end by a deadline (sendEventsWithin). `inngest.send` takes
 * no signal, so the client's fetch finds it here: the request, and the SDK's own retries of it,
 * stop when it aborts instead of holding a connection to a hung Inngest.
 */
const sendDeadline = new AsyncLocalStorage<AbortSignal>();

async function fetchWithinDeadline(input: RequestInfo | URL, init?: RequestInit) {
  const deadline = sendDeadline.getStore();
  if (!deadline) return globalThis.fetch(input, init);
  const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
  try {
    return await globalThis.fetch(input, { ...init, signal });
  } catch (error) {
    // Named like a network failure ("fetch failed…"), which the SDK's fetch wrapper expects; any
    // other error it logs as a misconfigured fetch.
    if (deadline.aborted)
      throw new TypeError("fetch failed: the deadline passed", { cause: error });
    throw error;
  }
}

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
  fetch: fetchWithinDeadline as typeof fetch,
  // Inngest v4 checkpointing: a request runs the steps one after another, reporting each to
  // Inngest as it ends, and hands the run back before the platform would stop the request.
  checkpointing: { maxRuntime: env.INNGEST_CHECKPOINT_MAX_RUNTIME },
  logger,
  middleware: [LogContextMiddleware, WorkflowErrorsMiddleware],
});

/** `inngest.send`, given up (its requests aborted) when `signal` aborts. */
export function sendEventsWithin(signal: AbortSignal, events: SendEventPayload) {
  return sendDeadline.run(signal, () => {
    return inngest.send(events);
  });
}

/** INNGEST_DEV may be "1" or the dev server's URL. */
function devServerUrl(dev: string | undefined) {
  return dev && /^https?:\/\//.test(dev) ? dev : undefined;
}
