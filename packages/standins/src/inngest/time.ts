import { randomBytes } from "node:crypto";

/** Inngest's durations, Retry-After and ids: how the protocol states time. */

export const DAY = 24 * 60 * 60 * 1000;

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: DAY,
  w: 7 * DAY,
};

/** An Inngest duration ("7d", "1h30m", "59m", "500ms") in ms; anything else throws. */
export function duration(text: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  if (!parts.length || parts.map((p) => p[0]).join("") !== text) {
    throw new Error(`Not an Inngest duration: "${text}"`);
  }
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNITS[unit!]!, 0);
}

/** A delay given as an Inngest duration or in ms. */
export const toMs = (delay: string | number) =>
  typeof delay === "number" ? delay : duration(delay);

/** The SDK's Retry-After: whole seconds, or an RFC 3339 date (read against `now`). */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header)) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Where a sleep ends: `step.sleep` sends a duration, `step.sleepUntil` a date. */
export const sleepTarget = (target: string, now: number) =>
  /^\d{4}-\d\d-\d\dT/.test(target) ? Date.parse(target) : now + duration(target);

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID (what Inngest uses for run and event ids), timed at `at`. */
export function ulid(at: number): string {
  let time = "";
  for (let t = at, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = CROCKFORD[t % 32] + time;
  const random = [...randomBytes(16)].map((byte) => CROCKFORD[byte % 32]).join("");
  return time + random;
}
