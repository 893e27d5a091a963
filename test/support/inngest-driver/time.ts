import { randomBytes } from "node:crypto";

/**
 * Time as the Inngest protocol states it, and the ids Inngest hands out.
 */

const units: Record<string, number> = {
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/**
 * Milliseconds in an Inngest duration: the SDK's own format ("3d", "1h30m", "2h30m10s"), Go's
 * ("1h30m0s", "500ms"), or a bare number of seconds.
 */
export function durationMs(duration: string): number {
  const text = duration.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|w|d|h|m|s)/g)];
  if (!parts.length || parts.map((part) => part[0]).join("") !== text) {
    throw new Error(`Not an Inngest duration: ${JSON.stringify(duration)}`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * units[unit!]!, 0);
}

/** When a sleep ends: the SDK sends `step.sleep` as a duration and `step.sleepUntil` as a date. */
export function sleepEndsAt(target: string, now: number): number {
  const date = /^\d{4}-\d{2}-\d{2}T/.test(target) ? Date.parse(target) : NaN;
  return Number.isNaN(date) ? now + durationMs(target) : date;
}

/** What a `Retry-After` from the SDK asks for: seconds, or an RFC 3339 date. */
export function retryAfterMs(value: string, now: number): number | undefined {
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID, the form of Inngest's run and event ids (time-ordered, 26 characters). */
export function ulid(now = Date.now()): string {
  let time = "";
  for (let value = now, i = 0; i < 10; i++, value = Math.floor(value / 32)) {
    time = crockford[value % 32] + time;
  }
  const random = [...randomBytes(16)].map((byte) => crockford[byte % 32]).join("");
  return time + random;
}

/** setTimeout for any delay: waits beyond setTimeout's limit (about 24.8 days) are armed in parts. */
export function timer(delayMs: number, callback: () => void): { cancel(): void } {
  const maxDelay = 2 ** 31 - 1;
  let handle: NodeJS.Timeout;
  const arm = (left: number) => {
    handle = setTimeout(
      () => (left > maxDelay ? arm(left - maxDelay) : callback()),
      Math.min(Math.max(0, left), maxDelay),
    );
    // A pending sleep or wait must not keep a test process (or a stopped server) alive.
    handle.unref();
  };
  arm(delayMs);
  return { cancel: () => clearTimeout(handle) };
}
