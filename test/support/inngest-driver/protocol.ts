import { createHmac } from "node:crypto";
import { canonical } from "../canonical-json";
import { retryAfterMs } from "./time";

/**
 * The wire side of Inngest's SDK protocol (what an Inngest server says to a `serve()` endpoint
 * and what it answers), as implemented by the `inngest` package (v4):
 * components/InngestCommHandler.js, components/execution/engine.js, helpers/functions.js.
 *
 * - Sync: `PUT <serve url>` with `x-inngest-sync-kind: in_band` and `{ url }` answers the app's
 *   function configs; without that header the SDK POSTs them to `<INNGEST_BASE_URL>/fn/register`.
 * - Run: `POST <serve url>?fnId=<fn>&stepId=step` with `{ event, events, steps, ctx }`, where
 *   `steps` is every finished step by hashed id and `ctx.stack.stack` their completion order.
 *   `stepId=<hashed id>` runs one planned step. Answers: 200 with the function's result; 206
 *   with ops (a step ran, failed, or is planned; a sleep or a wait to register); 500 to retry,
 *   400 not to (`x-inngest-no-retry`), both optionally with `retry-after`.
 * - Signing (required when the SDK is in cloud mode): `x-inngest-signature: t=<unix s>&s=<hex>`,
 *   HMAC-SHA256 over the canonical JSON body followed by t, keyed with the signing key's hex part.
 *
 * `ctx.fn_id` is left out on purpose: with it the SDK checkpoints steps through Inngest's REST
 * API (which this driver does not serve) instead of answering them over HTTP.
 */

export interface ConcurrencyLimit {
  limit: number;
  key?: string;
  scope?: "fn" | "env" | "account";
}

/** One function as the SDK registers it. */
export interface FunctionConfig {
  id: string;
  name?: string;
  triggers: ({ event: string; expression?: string } | { cron: string; jitter?: string })[];
  steps: Record<
    string,
    {
      id: string;
      name: string;
      runtime: { type: string; url: string };
      retries?: { attempts?: number };
    }
  >;
  idempotency?: string;
  concurrency?: number | ConcurrencyLimit | ConcurrencyLimit[];
  throttle?: { key?: string; limit: number; period: string; burst?: number };
  rateLimit?: { key?: string; limit: number; period: string };
  cancel?: { event: string; if?: string; timeout?: string }[];
  [other: string]: unknown;
}

export interface EventPayload {
  name: string;
  data: Record<string, unknown>;
  id?: string;
  ts?: number;
  v?: string;
  [other: string]: unknown;
}

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  [other: string]: unknown;
}

/** A generator opcode from a 206 answer. */
export interface Op {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  opts?: Record<string, unknown>;
  data?: unknown;
  error?: SerializedError;
}

/** A finished step, as the driver hands it back to the SDK. */
export type StepResult =
  { type: "data"; data: unknown } | { type: "error"; error: SerializedError };

export interface Retry {
  /** false: the SDK said never to retry (NonRetriableError, last attempt) */
  retriable: boolean;
  /** what the SDK asked for with `retry-after` (RetryAfterError) */
  afterMs?: number;
}

export type CallOutcome =
  | { kind: "complete"; output: unknown }
  | { kind: "ops"; ops: Op[]; retry: Retry }
  | { kind: "error"; status: number; error: SerializedError; retry: Retry };

export interface CallInput {
  fn: FunctionConfig;
  /** "step" to let the SDK find (and run) the next step, or a planned step's hashed id */
  stepId: string;
  runId: string;
  event: EventPayload;
  steps: Record<string, StepResult>;
  stack: string[];
  attempt: number;
  maxAttempts: number;
}

export interface Transport {
  signingKey?: string;
  /** the server kind the SDK is told it talks to */
  serverKind: "dev" | "cloud";
  requestTimeoutMs: number;
}

/** The `x-inngest-signature` Inngest puts on a request body. */
export function signature(body: string, signingKey: string, now = Date.now()): string {
  const t = String(Math.floor(now / 1000));
  const key = signingKey.replace(/^signkey-\w+-/, "");
  const s = createHmac("sha256", key).update(body).update(t).digest("hex");
  return `t=${t}&s=${s}`;
}

function headers(transport: Transport, body: string, extra: Record<string, string> = {}) {
  return {
    "content-type": "application/json",
    "x-inngest-server-kind": transport.serverKind,
    ...(transport.signingKey
      ? { "x-inngest-signature": signature(body, transport.signingKey) }
      : {}),
    ...extra,
  };
}

/** Where to POST for this function and step: the URL the app registered. */
function stepUrl(fn: FunctionConfig, stepId: string): string {
  const registered = Object.values(fn.steps)[0];
  if (!registered) throw new Error(`Function ${fn.id} registered no step URL`);
  const url = new URL(registered.runtime.url);
  url.searchParams.set("stepId", stepId);
  return url.href;
}

const asError = (body: unknown, fallback: string): SerializedError => {
  const record = (body && typeof body === "object" ? body : {}) as Record<string, unknown>;
  const message = [record.message, record.error].find((v) => typeof v === "string") as
    string | undefined;
  return {
    ...record,
    name: typeof record.name === "string" ? record.name : "Error",
    message: message ?? fallback,
  };
};

function retryOf(response: Response, defaultRetriable: boolean): Retry {
  const noRetry = response.headers.get("x-inngest-no-retry");
  const after = response.headers.get("retry-after");
  return {
    retriable: noRetry === null ? defaultRetriable : noRetry !== "true",
    ...(after ? { afterMs: retryAfterMs(after, Date.now()) } : {}),
  };
}

/** One execution request: the function runs from the top with `steps` memoized. */
export async function callFunction(input: CallInput, transport: Transport): Promise<CallOutcome> {
  const body = canonical({
    event: input.event,
    events: [input.event],
    steps: input.steps,
    ctx: {
      run_id: input.runId,
      attempt: input.attempt,
      max_attempts: input.maxAttempts,
      disable_immediate_execution: false,
      use_api: false,
      stack: { stack: input.stack, current: Math.max(0, input.stack.length - 1) },
    },
  });
  let response: Response;
  try {
    response = await fetch(stepUrl(input.fn, input.stepId), {
      method: "POST",
      headers: headers(transport, body),
      body,
      signal: AbortSignal.timeout(transport.requestTimeoutMs),
    });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    return {
      kind: "error",
      status: 0,
      error: { name: "NetworkError", message: `The app did not answer: ${cause}` },
      retry: { retriable: true },
    };
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { message: text.slice(0, 500) };
  }
  if (response.status === 200) return { kind: "complete", output: parsed };
  if (response.status === 206) {
    const ops = (Array.isArray(parsed) ? parsed : [parsed]) as Op[];
    return { kind: "ops", ops, retry: retryOf(response, true) };
  }
  if (response.status === 401 || response.status === 403) {
    return {
      kind: "error",
      status: response.status,
      error: asError(
        parsed,
        `The app refused the request (${response.status}); in cloud mode it must be signed with the app's INNGEST_SIGNING_KEY`,
      ),
      retry: { retriable: false },
    };
  }
  return {
    kind: "error",
    status: response.status,
    error: asError(parsed, `The app answered ${response.status}`),
    retry: retryOf(response, response.status >= 500),
  };
}

export interface Registration {
  /** the app's id (the SDK client's `id`) */
  appId: string;
  functions: FunctionConfig[];
}

/** The registration body the SDK POSTs to /fn/register (out-of-band sync). */
export function registrationOf(body: unknown): Registration {
  const record = body as { appName?: unknown; app_id?: unknown; functions?: unknown };
  if (!record || !Array.isArray(record.functions)) {
    throw new Error("A sync must carry a `functions` array");
  }
  const appId = [record.appName, record.app_id].find((v) => typeof v === "string") as string;
  return { appId: appId ?? "", functions: record.functions as FunctionConfig[] };
}

/**
 * Asks the app for its functions (in-band sync). Returns null when the app synced out of band
 * instead (INNGEST_ALLOW_IN_BAND_SYNC=0): its registration then went to its INNGEST_BASE_URL.
 */
export async function syncApp(
  serveUrl: string,
  transport: Transport,
): Promise<Registration | null> {
  const body = canonical({ url: serveUrl });
  const response = await fetch(serveUrl, {
    method: "PUT",
    headers: headers(transport, body, { "x-inngest-sync-kind": "in_band" }),
    body,
    signal: AbortSignal.timeout(transport.requestTimeoutMs),
  }).catch((error: unknown) => {
    const cause = error instanceof Error ? (error.cause ?? error).toString() : String(error);
    throw new Error(
      `Could not reach ${serveUrl} to sync its functions (${cause}); is the app running?`,
    );
  });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`Syncing ${serveUrl} failed with ${response.status}: ${text.slice(0, 500)}`);
  }
  if (response.headers.get("x-inngest-sync-kind") !== "in_band") return null;
  return registrationOf(JSON.parse(text));
}
