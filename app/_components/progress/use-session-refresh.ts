"use client";

import { useClerk } from "@clerk/nextjs";
import { useCallback, useEffect, useState } from "react";
import { onboardingCompleteIn } from "@/lib/onboarding/gate";
import { paths } from "@/lib/routes";

/** Waits between attempts to get a session token that carries the new claims. */
const retryDelaysMs = [0, 500, 1000, 2000];

/** The claims of a session token, read (not verified: the server verifies) to see what it says. */
function tokenClaims(token: string): unknown {
  const payload = token.split(".")[1];
  if (!payload) return null;
  try {
    return JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
  } catch {
    return null;
  }
}

/**
 * Once onboarding is complete, the session token must be refreshed: the old one lacks
 * `metadata.onboardingComplete`, and proxy.ts would send the user straight back here. A token is
 * minted without the cache (Clerk also writes it to the session cookie); only once it carries the
 * claim does the page go to the dashboard, so there is no loop. If Clerk is slow to catch up the
 * page says so instead of spinning.
 */
export function useSessionRefresh(active: boolean) {
  const clerk = useClerk();
  const [lagging, setLagging] = useState(false);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!active || !clerk.loaded) return;
    let cancelled = false;
    void (async () => {
      for (const delay of retryDelaysMs) {
        if (delay) await new Promise((resolve) => setTimeout(resolve, delay));
        if (cancelled) return;
        const token = await clerk.session?.getToken({ skipCache: true }).catch(() => null);
        if (token && onboardingCompleteIn(tokenClaims(token))) {
          window.location.replace(paths.dashboard);
          return;
        }
      }
      if (!cancelled) setLagging(true);
    })();
    return () => {
      cancelled = true;
    };
  }, [active, clerk, clerk.loaded, attempt]);

  const retry = useCallback(() => {
    setLagging(false);
    setAttempt((count) => count + 1);
  }, []);

  return { lagging, retry };
}
