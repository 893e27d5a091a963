/**
 * How often the progress page may start a request for the onboarding status. Each request is a
 * long poll the server holds until the status changes, so noticing a change does not depend on
 * this schedule; the schedule keeps a server that answers at once (an error, or one that does not
 * hold requests) from being asked in a tight loop: often at first, less while nothing changes,
 * and not at all after a long while, instead of spinning forever. Any change resets it to fast.
 */
export const polling = {
  /** The shortest gap between requests, while things are moving. */
  fastMs: 500,
  /** How long after the last change the fast interval lasts. */
  fastForMs: 10_000,
  /** Each poll after that waits this much longer than the one before… */
  growth: 1.5,
  /** …up to this. */
  slowestMs: 5_000,
  /** With no change for this long, polling stops and the page offers to check again. */
  giveUpAfterMs: 10 * 60_000,
  /** With no change for this long while the system should be working, the page says so. */
  stallAfterMs: 90_000,
} as const;

/** The wait before the next poll, given the previous wait and the time since the last change. */
export function nextPollDelay(previousMs: number | null, sinceChangeMs: number): number | null {
  if (sinceChangeMs >= polling.giveUpAfterMs) return null;
  if (previousMs === null || sinceChangeMs < polling.fastForMs) return polling.fastMs;
  return Math.min(Math.round(previousMs * polling.growth), polling.slowestMs);
}

/**
 * The stall threshold for this page view. `?stall=<seconds>` may only lower it (so a test or a
 * support engineer can see the message sooner); it can never hide the message or raise the limit.
 */
export function stallThresholdMs(param: string | null | undefined): number {
  const seconds = Number(param);
  if (!param || !Number.isFinite(seconds) || seconds <= 0) return polling.stallAfterMs;
  return Math.min(Math.round(seconds * 1000), polling.stallAfterMs);
}
