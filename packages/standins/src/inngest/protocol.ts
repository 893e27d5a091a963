import { createHash, createHmac } from "node:crypto";
import { canonical } from "../canonical-json";

/**
 * The wire side of Inngest's SDK protocol (what an Inngest server says to a `serve()` endpoint
 * and what it answers), as implemented by the `inngest` package (v4):
 * components/InngestCommHandler.js, components/execution/engine.js, helpers/functions.js,
 * api/api.js (the checkpoint client).
 *
 * - Sync: `PUT <serve url>` with `x-inngest-sync-kind: in_band` and `{ url }` answers the app's
 *   function configs; without that header the SDK POSTs them to `<INNGEST_BASE_URL>/fn/register`.
 * - Run: `POST <serve url>?fnId=<fn>&stepId=step` with `{ event, events, steps, ctx }`, where
 *   `steps` is every finished step by hashed id and `ctx.stack.stack` their completion order.
 *   `stepId=<hashed id>` runs one planned step. Answers: 200 with the function's result; 206
 *   with ops (a step ran, failed, or is planned; a sleep or a wait to register; RunComplete);
 *   500 to retry, 400 not to (`x-inngest-no-retry`), both optionally with `retry-after`.
 * - Checkpointing (the v4 default): when `ctx` carries `fn_id` and `qi_id`, as Inngest's does,
 *   a request for `stepId=step` at attempt 0 runs each new step at once and reports it with
 *   `POST <INNGEST_BASE_URL>/v1/checkpoint/<run id>/async` (`{ run_id, fn_id, qi_id, request_id,
 *   steps: [StepRun op] }`, bearer: the hashed signing key), then goes on in the same request
 *   until a wait, a sleep, an error or the end (206 with RunComplete), or until its maxRuntime
 *   (206 with the next step planned). A checkpoint that fails (retried 5 times) makes the SDK
 *   answer the step over HTTP instead (step-by-step); 409 means the request is stale (Inngest
 *   gave up on it) and the SDK stops. A retry (attempt > 0) answers its one step over HTTP.
 *   Without `fn_id`, or with `disable_immediate_execution`, every step is its own request.
 * - Signing (required when the SDK is in cloud mode): `x-inngest-signature: t=<unix s>&s=<hex>`,
 *   HMAC-SHA256 over the canonical JSON body followed by t, keyed with the signing key's hex part.
 */

/** How Inngest runs an app's steps: eagerly with checkpoints (Inngest's default), or one per request. */
export type ExecutionMode = "checkpointing" | "step-by-step";

interface ConcurrencyOption {
  limit: number;
  key?: string;
  scope?: "fn" | "env" | "account";
}

/** One function as the SDK registers it. */
export interface FunctionConfig {
  id: string;
  triggers: ({ event: string; expression?: string } | { cron: string })[];
  steps: Record<string, { runtime: { url: string }; retries?: { attempts?: number } }>;
  idempotency?: string;
  concurrency?: number | ConcurrencyOption | ConcurrencyOption[];
  throttle?: { key?: string; limit: number; period: string; burst?: number };
  rateLimit?: { key?: string; limit: number; period: string };
  cancel?: { event: string; if?: string; timeout?: string }[];
  [option: string]: unknown;
}

/** An app's functions, as a sync hands them over. */
export interface Registration {
  /** the app's id (the SDK client's `id`) */
  appId: string;
  functions: FunctionConfig[];
}

/** An event as Inngest stores it and hands it to functions. */
export interface InngestEvent {
  id: string;
  name: string;
  data: Record<string, unknown>;
  ts: number;
  v?: string;
}

export interface SerializedError {
  name: string;
  message: string;
}

/** A generator opcode from a 206 answer. */
export interface Op {
  id: string;
  op: string;
  name?: string;
  displayName?: string;
  userland?: { id: string };
  opts?: Record<string, unknown>;
  data?: unknown;
  error?: unknown;
}

/** A finished step, as Inngest hands it back to the SDK. */
export type Memo = { type: "data"; data: unknown } | { type: "error"; error: unknown };

/** The step's id as the function names it. */
export const displayName = (op: Op) => op.displayName ?? op.userland?.id ?? op.name ?? op.id;

/** The body of one execution request: the function runs from the top with `steps` memoized. */
export function requestBody(input: {
  runId: string;
  event: InngestEvent;
  steps: Record<string, Memo>;
  stack: string[];
  /** "step" (run from the top), or the hashed id of the planned step to run */
  stepId: string;
  attempt: number;
  maxAttempts: number;
  /** once a run went parallel: the SDK then runs only the step it is asked for */
  parallel: boolean;
  requestId: string;
  /** with checkpointing: the function's id at Inngest and the queue item this request runs */
  checkpoint?: { fnId: string; queueItemId: string };
}): string {
  return canonical({
    event: input.event,
    events: [input.event],
    steps: input.steps,
    ctx: {
      run_id: input.runId,
      ...(input.checkpoint
        ? { fn_id: input.checkpoint.fnId, qi_id: input.checkpoint.queueItemId }
        : {}),
      step_id: input.stepId,
      request_id: input.requestId,
      attempt: input.attempt,
      max_attempts: input.maxAttempts,
      disable_immediate_execution: input.parallel,
      use_api: false,
      stack: { stack: input.stack, current: input.stack.length },
    },
  });
}

/** The body of `POST /v1/checkpoint/<run id>/async`, as the SDK's checkpointStepsAsync sends it. */
export interface AsyncCheckpoint {
  run_id: string;
  fn_id: string;
  qi_id: string;
  /** the `x-request-id` of the request that ran the steps */
  request_id?: string;
  steps: Op[];
}

/** The run a `POST /v1/checkpoint/:runId/async` reports steps of. */
export function checkpointedRun(path: string): string | undefined {
  const runId = /^\/v1\/checkpoint\/([^/]+)\/async$/.exec(path)?.[1];
  return runId === undefined ? undefined : decodeURIComponent(runId);
}

/** A checkpoint body read, or why Inngest would refuse it (400). */
export function checkpointOf(body: unknown): AsyncCheckpoint | { refused: string } {
  const record = (body && typeof body === "object" ? body : {}) as Partial<AsyncCheckpoint>;
  if (typeof record.run_id !== "string" || !record.run_id) return { refused: "run_id is missing" };
  if (typeof record.fn_id !== "string" || !record.fn_id) return { refused: "fn_id is missing" };
  if (!Array.isArray(record.steps)) return { refused: "steps must be an array" };
  const async = record.steps.find((op) => op?.op !== "StepRun" && op?.op !== "Step");
  // Inngest checkpoints only steps that ran; anything else goes back in the request's answer.
  if (async) return { refused: `cannot checkpoint opcode: ${async.op}` };
  return record as AsyncCheckpoint;
}

/** The function's id at Inngest (a UUID, what `ctx.fn_id` carries), derived from its slug. */
export function internalFunctionId(functionId: string): string {
  const hex = createHash("sha1").update(`inngest-function:${functionId}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The `x-inngest-signature` Inngest puts on a request body. */
export function signature(body: string, signingKey: string, now = Date.now()): string {
  const t = String(Math.floor(now / 1000));
  const key = signingKey.replace(/^signkey-\w+-/, "");
  const s = createHmac("sha256", key).update(body).update(t).digest("hex");
  return `t=${t}&s=${s}`;
}

/**
 * A signing key as the SDK sends it to Inngest's API (`Authorization: Bearer …`): its prefix, then
 * the SHA-256 of the key's hex, so the key itself never travels.
 */
export function hashedSigningKey(signingKey: string): string {
  const prefix = /^signkey-\w+-/.exec(signingKey)?.[0] ?? "";
  const key = signingKey.slice(prefix.length);
  return `${prefix}${createHash("sha256").update(Buffer.from(key, "hex")).digest("hex")}`;
}

/** What the app answered, read. */
export interface Answer {
  status: number;
  /** the body as JSON (a text that is not JSON as its message) */
  body: unknown;
  text: string;
  /** `x-inngest-no-retry`: true or false when the SDK said, null when it did not */
  noRetry: boolean | null;
  retryAfter: string | null;
}

export async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = { message: text.slice(0, 500) };
  }
  const noRetry = response.headers.get("x-inngest-no-retry");
  return {
    status: response.status,
    body,
    text,
    noRetry: noRetry === null ? null : noRetry === "true",
    retryAfter: response.headers.get("retry-after"),
  };
}

/** An error as the SDK serialized it (or whatever else answered), reduced to name and message. */
export function serialized(error: unknown, fallback = ""): SerializedError {
  const record = (error && typeof error === "object" ? error : {}) as Record<string, unknown>;
  const message = [record.message, record.error].find((v) => typeof v === "string");
  return {
    name: typeof record.name === "string" ? record.name : "Error",
    message: (message as string | undefined) ?? fallback,
  };
}

/** The registration body the SDK POSTs to /fn/register (out-of-band sync), or an in-band sync's. */
export function registrationOf(body: unknown): Registration {
  const record = body as { appName?: unknown; app_id?: unknown; functions?: unknown };
  if (!record || !Array.isArray(record.functions)) {
    throw new Error("A sync must carry a `functions` array");
  }
  const appId = [record.appName, record.app_id].find((v) => typeof v === "string") as string;
  return { appId: appId ?? "", functions: record.functions as FunctionConfig[] };
}
