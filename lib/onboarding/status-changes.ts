import { createHash } from "node:crypto";
import { finalStates } from "./final-states";
import { onboardingStatus, type OnboardingStatus } from "./status";
import { releaseStatusHold, takeStatusHold } from "./status-holds";

/**
 * Telling the progress page about a change as soon as it happens, without it asking every few
 * hundred milliseconds: a request names the status it has (by ETag) and is held until the status
 * differs, or answered "unchanged" after a while. A held request looks at the database every so
 * often: it works the same on every driver (PGlite, Neon over HTTP, node-postgres) and across
 * server instances, where LISTEN/NOTIFY would need a connection held per request. What that costs
 * is bounded: a few held requests per user (status-holds.ts), none for a status that can no
 * longer change, looks that thin out while nothing moves, and none once the client is gone.
 */

export interface LongPollSchedule {
  /** How long a request is held when nothing changes: below common proxy idle timeouts. */
  holdMs: number;
  /** The first looks come this often, while a change is most likely (steps follow each other)… */
  firstLookMs: number;
  /** …for this long after the request arrived… */
  fastForMs: number;
  /** …then each waits this much longer than the one before… */
  growth: number;
  /** …up to this: the most a held request adds to noticing a change. */
  slowestLookMs: number;
}

export const longPoll: LongPollSchedule = {
  holdMs: 25_000,
  firstLookMs: 250,
  fastForMs: 2_000,
  growth: 1.5,
  // The progress page must notice completion within 1 s at p95 (bench/progress-latency.ts).
  slowestLookMs: 750,
};

/** The wait before a held request's next look, given the previous wait and how long it is held. */
export function nextLookDelay(
  previousMs: number | null,
  heldForMs: number,
  schedule: LongPollSchedule = longPoll,
): number {
  if (previousMs === null || heldForMs < schedule.fastForMs) return schedule.firstLookMs;
  return Math.min(Math.round(previousMs * schedule.growth), schedule.slowestLookMs);
}

/** A strong ETag of a status: the hash of what the endpoint answers, so equal means unchanged. */
function statusETag(status: OnboardingStatus): string {
  const hash = createHash("sha256").update(JSON.stringify(status)).digest("base64url");
  return `"${hash.slice(0, 27)}"`;
}

interface StatusChange {
  status: OnboardingStatus;
  etag: string;
  /** False when the status still has one of the tags the request named. */
  changed: boolean;
}

/**
 * The user's status, compared with the tags the request has `seen`. With `wait`, a status that
 * is unchanged (and can still change) is held for: answered as soon as it changes, else as
 * unchanged once `holdMs` have passed or the client has gone. Past the user's held requests, an
 * unchanged status is answered at once.
 */
export async function statusChange(
  userId: string,
  {
    seen,
    wait,
    signal,
    schedule = longPoll,
  }: { seen: string[]; wait: boolean; signal?: AbortSignal; schedule?: LongPollSchedule },
): Promise<StatusChange> {
  const look = async () => {
    const status = await onboardingStatus(userId);
    const etag = statusETag(status);
    return { status, etag, changed: !seen.includes(etag) };
  };
  let last = await look();
  const settled = (answer: StatusChange) =>
    answer.changed || finalStates.has(answer.status.state) || signal?.aborted;
  if (!wait || settled(last)) return last;

  const hold = await takeStatusHold(userId, schedule.holdMs);
  if (!hold) return last;
  try {
    const heldAt = Date.now();
    let delay: number | null = null;
    for (;;) {
      const left = heldAt + schedule.holdMs - Date.now();
      if (left <= 0) return last;
      delay = nextLookDelay(delay, Date.now() - heldAt, schedule);
      await pause(Math.min(delay, left), signal);
      if (signal?.aborted) return last;
      last = await look();
      if (settled(last)) return last;
    }
  } finally {
    await releaseStatusHold(hold);
  }
}

function pause(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
