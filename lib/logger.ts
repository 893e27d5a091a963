/**
 * Structured logs: one JSON object per line, so an operator can filter by user, org, run or step.
 * Values under secret-looking keys never reach the output.
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

export function redact(value: unknown, depth = 0): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
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
    if (typeof arg === "string") messages.push(arg);
    else if (arg instanceof Error) record.error = redact(arg);
    else if (arg && typeof arg === "object") Object.assign(record, redact(arg));
    else if (arg !== undefined) messages.push(String(arg));
  }
  record.msg = messages.join(" ");
  return record;
}

export function createLogger(
  base: LogFields = {},
  write: (level: Level, line: string) => void = (level, line) =>
    (level === "error" || level === "warn" ? console.error : console.log)(line),
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
