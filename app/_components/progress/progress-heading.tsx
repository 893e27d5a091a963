import type { OnboardingStatus } from "@/lib/onboarding/status";

/**
 * The page's heading: where the setup stands, in a sentence, announced as it changes. A reason
 * is stated here once (the step list does not repeat it).
 */
export function ProgressHeading({
  status,
  justSubmitted,
}: {
  status: OnboardingStatus | null;
  justSubmitted: boolean;
}) {
  const { title, lead } = describe(status, justSubmitted);
  return (
    <div aria-live="polite" aria-atomic="true">
      <h1 className="text-2xl font-semibold tracking-tight text-slate-900 sm:text-3xl">{title}</h1>
      <p className="mt-2 text-base text-slate-600">{lead}</p>
    </div>
  );
}

function describe(status: OnboardingStatus | null, justSubmitted: boolean) {
  const working = {
    title: "Setting up your account",
    lead: "This usually takes a few seconds. You can keep this page open.",
  };
  if (!status) return working;
  switch (status.state) {
    case "complete":
      return { title: "You're all set", lead: "Taking you to your dashboard…" };
    case "failed":
      return {
        title: "We couldn't finish setting up your account",
        lead: status.reason ?? "Something went wrong on our side.",
      };
    case "payment_failed":
      return {
        title: "We couldn't save your card",
        lead: status.reason ?? "Your bank declined the card.",
      };
    case "action_required":
      return {
        title: "Confirm your card with your bank",
        lead: "Your bank wants to make sure it's you before the card is saved.",
      };
    case "awaiting_payment":
      if (status.action?.type === "choose_plan" && !justSubmitted) {
        return {
          title: "Choose a plan to finish",
          lead: "Your account is created. Pick a plan and add a card to start your free trial.",
        };
      }
      return working;
    default:
      return working;
  }
}
