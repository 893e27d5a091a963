"use client";

import type { LiveStatus } from "@/app/_lib/use-onboarding-status";
import { paths, signInReturningTo } from "@/lib/routes";
import { Alert, Button, ButtonLink } from "../ui";
import { SupportLink } from "./support-link";
import { SupportReference } from "./support-reference";

/**
 * What the page says about following the setup itself: the session ended, the server is out of
 * reach, nothing has moved for too long, or it stopped asking.
 */
export function StatusNotices({ live, supportEmail }: { live: LiveStatus; supportEmail: string }) {
  const { status, problem, stalled, stopped, checkNow } = live;
  const final = status?.state === "complete" || status?.state === "failed";
  return (
    <>
      {problem === "signed-out" && (
        <Alert tone="warning" title="Your session has ended">
          <p>Sign in again to see how your setup is going. Nothing you did is lost.</p>
          <ButtonLink href={signInReturningTo(paths.afterSignUp)}>Sign in</ButtonLink>
        </Alert>
      )}
      {problem === "unreachable" && !stopped && (
        <Alert tone="info">We&apos;re having trouble reaching the server. Still trying…</Alert>
      )}

      {stalled && (
        <Alert tone="warning" title="This is taking longer than usual">
          <p>
            Nothing has changed for a while. Your setup keeps going in the background, so you can
            leave this page open or come back later by signing in. You won&apos;t be charged until
            your trial ends.
          </p>
          <p>
            If it still hasn&apos;t moved in a few minutes, email{" "}
            <SupportLink email={supportEmail} reference={status?.runId} /> and we&apos;ll finish it
            for you.
          </p>
          <SupportReference reference={status?.runId} />
          <Button variant="secondary" onClick={checkNow}>
            Check again
          </Button>
        </Alert>
      )}

      {stopped && !final && problem !== "signed-out" && !stalled && (
        <Alert tone="info" title="We've stopped checking for now">
          <p>Your setup continues in the background.</p>
          <Button variant="secondary" onClick={checkNow}>
            Check again
          </Button>
        </Alert>
      )}
    </>
  );
}
