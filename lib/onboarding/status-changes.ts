import { createHash } from "node:crypto";
import { onboardingStatus, type OnboardingStatus } from "./status";

/**
 * Telling the progress page about a change as soon as it happens, without it asking every few
 * hundred milliseconds: a request names the status it has (by ETag) and is answered when the
 * status differs, or after a while with "unchanged". Waiting requests look at the database at a
 * short interval: it works the same on every driver (PGlite, Neon over HTTP, node-postgres) and
 * across server instances, where LISTEN/NOTIFY would need a held connection.
 */

/** How often a waiting request reads the status: the most it adds to noticing a change. */
const statusLookIntervalMs = 250;

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
 * The user's status as soon as its ETag is none of `seen`: at once when it already differs (or
 * nothing was seen), else when it changes within `waitMs`, else unchanged once `waitMs` have
 * passed or the request is aborted.
 */
export async function statusChange(
  userId: string,
  { seen, waitMs, signal }: { seen: string[]; waitMs: number; signal?: AbortSignal },
): Promise<StatusChange> {
  const until = Date.now() + waitMs;
  for (;;) {
    const status = await onboardingStatus(userId);
    const etag = statusETag(status);
    const changed = !seen.includes(etag);
    const left = until - Date.now();
    if (changed || left <= 0 || signal?.aborted) return { status, etag, changed };
    await pause(Math.min(statusLookIntervalMs, left), signal);
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
