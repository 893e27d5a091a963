import { Alert, ButtonLink } from "@/app/_components/ui";
import type { Standing } from "@/lib/billing/entitlements";
import { paths } from "@/lib/routes";
import { ResumePlanButton } from "./resume-plan";

const longDate = new Intl.DateTimeFormat("en-US", { dateStyle: "long", timeZone: "UTC" });

/**
 * What the money asks of the user, above everything else on the dashboard: a payment to fix
 * (past due: full access meanwhile), a plan cancelled at its period's end that can still be
 * resumed, or a plan that has ended and can be taken up again.
 */
export function BillingNotice({
  standing,
  cancelsAt,
}: {
  standing: Standing;
  cancelsAt: Date | null;
}) {
  if (standing === "past_due") {
    return (
      <Alert tone="warning" className="mb-6" title="Your last payment didn't go through">
        <p>
          Stripe will try your card again. You keep full access meanwhile; pay now with another card
          so nothing stops.
        </p>
        <ButtonLink href={paths.payOverdue}>Update card and pay</ButtonLink>
      </Alert>
    );
  }
  if (standing === "ended") {
    return (
      <Alert tone="warning" className="mb-6" title="Your plan has ended">
        <p>
          Projects and the other paid features are off. Everything you made is still here: subscribe
          again to pick up where you left off.
        </p>
        <ButtonLink href={paths.resubscribe}>Subscribe again</ButtonLink>
      </Alert>
    );
  }
  if (cancelsAt) {
    return (
      <Alert tone="info" className="mb-6" title={`Your plan ends on ${longDate.format(cancelsAt)}`}>
        <p>You cancelled it; until then everything works as before. Changed your mind?</p>
        <ResumePlanButton />
      </Alert>
    );
  }
  return null;
}
