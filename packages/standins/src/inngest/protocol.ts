import { createHash, createHmac } from "node:crypto";
import { canonical } from "../canonical-json";

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
 * API (which the stand-in does not serve) instead of answering them over HTTP.
 */

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
  attempt: number;
  maxAttempts: number;
  /** once a run went parallel: the SDK then runs only the step it is asked for */
  parallel: boolean;
}): string {
  return canonical({
    event: input.event,
    events: [input.event],
    steps: input.steps,
    ctx: {
      run_id: input.runId,
      attempt: input.attempt,
      max_attempts: input.maxAttempts,
      disable_immediate_execution: input.parallel,
      use_api: false,
      stack: { stack: input.stack, current: input.stack.length },
    },
  });
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
