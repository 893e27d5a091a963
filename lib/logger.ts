/**
 * Structured logs: one JSON object per line, so an operator can filter by user, org, run or step.
 * Values under secret-looking keys never reach the output, and neither do values that look like
 * secrets wherever they appear (an SDK's error message, a URL with a password in it).
 */
import { AsyncLocalStorage } from "node:async_hooks";

export type LogFields = Record<string, unknown>;

/** Fields every line written inside `withLogContext` carries (the run, user or org, step). */
const context = new AsyncLocalStorage<LogFields>();

export function withLogContext<T>(fields: LogFields, run: () => T): T {
  return context.run({ ...context.getStore(), ...fields }, run);
}

/**
 * The context of recent runs by run id, for lines a logger with that `runID` writes outside the
 * run's async context: the Inngest SDK logs step and function errors from its own hooks. Only
 * the newest runs are kept.
 */
const runContexts = new Map<string, LogFields>();
const rememberedRuns = 1000;

export function rememberRunContext(runID: string, fields: LogFields) {
  runContexts.delete(runID);
  runContexts.set(runID, fields);
  if (runContexts.size > rememberedRuns) runContexts.delete(runContexts.keys().next().value!);
}
type Level = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  child(fields: LogFields): Logger;
}

const secretKey = /secret|token|password|authorization|api[-_]?key|signature|cookie/i;

/**
 * Secrets by their shape, for text that is not under a telling key: Stripe secret and restricted
 * keys (Clerk's secret keys share the `sk_` shape), webhook signing secrets, Inngest signing keys
 * (also as the SDK's hashed bearer), Resend API keys, Stripe client secrets, bearer and basic
 * credentials, JWTs (Clerk session tokens) and the password in a connection string.
 */
const secretValues: [RegExp, string][] = [
  [/\b(sk|rk)_(test|live)_[A-Za-z0-9]+/g, "$1_$2_[redacted]"],
  [/\bwhsec_[A-Za-z0-9+/=]+/g, "whsec_[redacted]"],
  [/\bsignkey-[A-Za-z0-9]+-[A-Za-z0-9]+/g, "signkey-[redacted]"],
  [/\bre_[A-Za-z0-9_]{8,}/g, "re_[redacted]"],
  [/_secret_[A-Za-z0-9]+/g, "_secret_[redacted]"],
  [/\b(Bearer|Basic)\s+[^\s"',;]+/gi, "$1 [redacted]"],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, "[redacted JWT]"],
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]+@/gi, "$1[redacted]@"],
];

function redactText(text: string): string {
  return secretValues.reduce(
    (out, [pattern, replacement]) => out.replace(pattern, replacement),
    text,
  );
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return redactText(value);
  if (value instanceof Error) {
    // The cause is where a wrapped vendor or driver error keeps its detail: the log needs it.
    const code = (value as { code?: unknown }).code;
    return {
      name: value.name,
      message: redactText(value.message),
      ...(typeof code === "string" ? { code } : {}),
      ...(value.cause !== undefined && depth <= 4 ? { cause: redact(value.cause, depth + 1) } : {}),
    };
  }
  if (Array.isArray(value)) return depth > 4 ? "[…]" : value.map((item) => redact(item, depth + 1));
  if (value && typeof value === "object") {
    if (depth > 4) return "[…]";
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        secretKey.test(key) ? "[redacted]" : redact(item, depth + 1),
      ]),
    );
  }
  return value;
}

/** Inngest and our code call loggers with (message, fields) or (fields, message) or (error). */
function toRecord(level: Level, base: LogFields, args: unknown[]) {
  const record: LogFields = {
    level,
    time: new Date().toISOString(),
    ...base,
    ...(typeof base.runID === "string" ? runContexts.get(base.runID) : undefined),
    ...context.getStore(),
  };
  const messages: string[] = [];
  for (const arg of args) {
    if (typeof arg === "string") messages.push(redactText(arg));
    else if (arg instanceof Error) record.error = redact(arg);
    else if (arg && typeof arg === "object") Object.assign(record, redact(arg));
    else if (arg !== undefined) messages.push(redactText(String(arg)));
  }
  record.msg = messages.join(" ");
  return record;
}

/** The one place that writes to the console: every other line goes through a logger. */
function writeToConsole(level: Level, line: string) {
  /* eslint-disable no-console */
  if (level === "error" || level === "warn") console.error(line);
  else console.log(line);
  /* eslint-enable no-console */
}

export function createLogger(
  base: LogFields = {},
  write: (level: Level, line: string) => void = writeToConsole,
): Logger {
  const log =
    (level: Level) =>
    (...args: unknown[]) =>
      write(level, JSON.stringify(toRecord(level, base, args)));
  return {
    debug: log("debug"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    child: (fields) => createLogger({ ...base, ...fields }, write),
  };
}

export const logger = createLogger({ service: "onramp" });
