"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { finalStates } from "@/lib/onboarding/final-states";
import type { OnboardingStatus } from "@/lib/onboarding/status";
import { paths } from "@/lib/routes";
import { nextPollDelay } from "./polling";

type StatusProblem = "signed-out" | "unreachable";

export interface LiveStatus {
  status: OnboardingStatus | null;
  /** The last poll failed: the session ended (401, polling stops) or the server was unreachable. */
  problem: StatusProblem | null;
  /** Nothing changed for longer than the stall threshold while the system should be working. */
  stalled: boolean;
  /** Polling ended: a final state, the session ended, or nothing changed for too long. */
  stopped: boolean;
  /** Asks again now and restarts the fast schedule (after the user did something). */
  checkNow: () => void;
}

/** True while the workflow, not the user, is expected to move things along. */
function isSystemWorking(status: OnboardingStatus | null) {
  if (!status) return true;
  if (status.state === "pending" || status.state === "running") return true;
  return status.state === "awaiting_payment" && status.action?.type !== "choose_plan";
}

const fingerprint = (status: OnboardingStatus) =>
  JSON.stringify([
    status.state,
    status.reason,
    status.action,
    status.steps.map((step) => [step.id, step.status, step.at, step.reason]),
  ]);

/**
 * Follows `GET /api/onboarding/status` with long polls: each request names the status the page
 * has (its ETag) and the server answers as soon as it changes, or with 304 after a while, so a
 * change shows within a fraction of a second however long nothing has moved. The polling
 * schedule (fast at first, backing off while nothing changes) bounds how often requests start,
 * so a server that answers at once (an error, or one that does not hold requests) is not asked
 * in a tight loop. Paused while the tab is hidden (and asked again as soon as it is visible),
 * stopped at a final state or after a long time without change, never left spinning.
 */
export function useOnboardingStatus({
  stallAfterMs,
  initial,
}: {
  stallAfterMs: number;
  /** The status the server rendered the page with, so the first paint is not a spinner. */
  initial: OnboardingStatus | null;
}): LiveStatus {
  const [status, setStatus] = useState<OnboardingStatus | null>(initial);
  const [problem, setProblem] = useState<StatusProblem | null>(null);
  const [stalled, setStalled] = useState(false);
  const [stopped, setStopped] = useState(false);
  const initialStatus = useRef(initial);
  const controls = useRef<{ checkNow: () => void } | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stallTimer: ReturnType<typeof setTimeout> | undefined;
    let inFlight: AbortController | null = null;
    let previousDelay: number | null = null;
    let lastChangeAt = Date.now();
    let lastFingerprint = initialStatus.current && fingerprint(initialStatus.current);
    let latest = initialStatus.current;
    let etag: string | null = null;
    let finished = false;

    const cancel = () => {
      clearTimeout(timer);
      inFlight?.abort();
    };

    // Held requests answer only on a change, so the stall is timed here, not by the answers.
    const watchForStall = () => {
      clearTimeout(stallTimer);
      const check = () =>
        setStalled(
          !finished && isSystemWorking(latest) && Date.now() - lastChangeAt >= stallAfterMs,
        );
      check();
      if (!finished) stallTimer = setTimeout(check, lastChangeAt + stallAfterMs - Date.now());
    };

    async function poll() {
      cancel();
      const controller = new AbortController();
      inFlight = controller;
      const startedAt = Date.now();
      try {
        const url = etag
          ? `${paths.onboardingStatus}?${new URLSearchParams({ wait: etag })}`
          : paths.onboardingStatus;
        const response = await fetch(url, {
          cache: "no-store",
          headers: { accept: "application/json" },
          signal: controller.signal,
        });
        if (response.status === 401) {
          setProblem("signed-out");
          finished = true;
        } else if (response.status === 304) {
          setProblem(null);
        } else if (!response.ok) {
          setProblem("unreachable");
        } else {
          const next = (await response.json()) as OnboardingStatus;
          etag = response.headers.get("etag");
          const print = fingerprint(next);
          if (print !== lastFingerprint) {
            lastFingerprint = print;
            lastChangeAt = Date.now();
            previousDelay = null;
          }
          latest = next;
          setStatus(next);
          setProblem(null);
          finished = finalStates.has(next.state);
        }
      } catch {
        if (controller.signal.aborted) return;
        setProblem("unreachable");
      }

      watchForStall();
      const delay = finished ? null : nextPollDelay(previousDelay, Date.now() - lastChangeAt);
      if (delay === null) {
        finished = true;
        setStopped(true);
        return;
      }
      previousDelay = delay;
      // The time the server held the request counts towards the wait.
      const wait = Math.max(0, delay - (Date.now() - startedAt));
      if (!document.hidden) timer = setTimeout(() => void poll(), wait);
    }

    const onVisibility = () => {
      if (finished) return;
      if (document.hidden) {
        cancel();
      } else {
        previousDelay = null;
        void poll();
      }
    };

    controls.current = {
      checkNow() {
        finished = false;
        lastChangeAt = Date.now();
        previousDelay = null;
        setStopped(false);
        setStalled(false);
        void poll();
      },
    };

    void poll();
    document.addEventListener("visibilitychange", onVisibility);
    return () => {
      document.removeEventListener("visibilitychange", onVisibility);
      cancel();
      clearTimeout(stallTimer);
      controls.current = null;
    };
  }, [stallAfterMs]);

  const checkNow = useCallback(() => controls.current?.checkNow(), []);
  return { status, problem, stalled, stopped, checkNow };
}
