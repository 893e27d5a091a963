"use client";

import { useStripe } from "@stripe/react-stripe-js";
import { useState, type FormEvent } from "react";
import { reportCardConfirmation, submitNewCard } from "@/app/onboarding/actions";
import type { Tier } from "@/lib/billing/plans";
import { paths } from "@/lib/routes";
import type { OnboardingStatus } from "@/lib/onboarding/status";
import { useOnboardingStatus } from "@/app/_lib/use-onboarding-status";
import { CardField, PaymentDetailsProvider, useCollectCard } from "../card-field";
import { PlanPicker, type PlanOption } from "../plan-picker";
import { SignOutButton } from "../sign-out-button";
import { Alert, Button, ButtonLink, Card, Spinner } from "../ui";
import { StepList } from "./step-list";
import { useSessionRefresh } from "./use-session-refresh";

export interface ProgressProps {
  /** Null when billing is off: no card can be asked for or confirmed. */
  stripePublishableKey: string | null;
  stallAfterMs: number;
  /** The status the server rendered the page with. */
  initialStatus: OnboardingStatus | null;
  plans: PlanOption[];
  trialDays: number;
  /** The plan the user just chose on this page, if any (a new card keeps it). */
  tier?: Tier;
  /** Set on /onboarding right after submitting: the run has not picked the submission up yet. */
  justSubmitted?: boolean;
  supportEmail: string;
}

/**
 * The live "setting up your account" view: each step as it happens, what the user can do when a
 * step needs them (another card, 3-D Secure), a plain message when nothing moves for too long,
 * and on completion a fresh session (so the new claims arrive) and the dashboard.
 */
export function OnboardingProgress(props: ProgressProps) {
  const body = <ProgressView {...props} />;
  if (!props.stripePublishableKey) return body;
  return (
    <PaymentDetailsProvider publishableKey={props.stripePublishableKey}>
      {body}
    </PaymentDetailsProvider>
  );
}

function ProgressView(props: ProgressProps) {
  const live = useOnboardingStatus({
    stallAfterMs: props.stallAfterMs,
    initial: props.initialStatus,
  });
  const { status, problem, stalled, stopped, checkNow } = live;
  const complete = status?.state === "complete";
  const session = useSessionRefresh(complete);

  const summary = describe(status, props.justSubmitted ?? false);

  return (
    <div data-state={status?.state ?? "loading"} className="space-y-6">
      <div aria-live="polite" aria-atomic="true">
        <h1 className="text-2xl font-semibold tracking-tight text-slate-900 sm:text-3xl">
          {summary.title}
        </h1>
        <p className="mt-2 text-base text-slate-600">{summary.lead}</p>
      </div>

      {problem === "signed-out" && (
        <Alert tone="warning" title="Your session has ended">
          <p>Sign in again to see how your setup is going. Nothing you did is lost.</p>
          <ButtonLink href={`${paths.signIn}?redirect_url=${paths.afterSignUp}`}>
            Sign in
          </ButtonLink>
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
            <SupportLink email={props.supportEmail} reference={status?.runId} /> and we&apos;ll
            finish it for you.
          </p>
          <SupportReference reference={status?.runId} />
          <Button variant="secondary" onClick={checkNow}>
            Check again
          </Button>
        </Alert>
      )}

      {stopped &&
        !complete &&
        status?.state !== "failed" &&
        problem !== "signed-out" &&
        !stalled && (
          <Alert tone="info" title="We've stopped checking for now">
            <p>Your setup continues in the background.</p>
            <Button variant="secondary" onClick={checkNow}>
              Check again
            </Button>
          </Alert>
        )}

      {status && <ActionPanel status={status} props={props} onSubmitted={checkNow} />}

      {complete && session.lagging && (
        <Alert tone="warning" title="Your account is ready, but your sign-in hasn't caught up">
          <p>This can take a moment. Try again, or sign out and back in.</p>
          <div className="flex flex-wrap gap-2">
            <Button onClick={session.retry}>Try again</Button>
            <SignOutButton variant="secondary" />
          </div>
        </Alert>
      )}

      <Card>
        {status ? (
          <StepList steps={status.steps} />
        ) : (
          <p className="flex items-center gap-2 text-sm text-slate-600">
            <Spinner className="size-4 text-brand-600" /> Loading your progress…
          </p>
        )}
      </Card>
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

function ActionPanel({
  status,
  props,
  onSubmitted,
}: {
  status: OnboardingStatus;
  props: ProgressProps;
  onSubmitted: () => void;
}) {
  const action = status.action;
  if (status.state === "failed") {
    return (
      <Alert tone="error" title="What you can do">
        <p>
          Your card has not been charged. Email{" "}
          <SupportLink email={props.supportEmail} reference={status.runId} /> with the reason above
          and we&apos;ll finish setting up your account for you.
        </p>
        <SupportReference reference={status.runId} />
        <SignOutButton variant="secondary" />
      </Alert>
    );
  }
  if (action?.type === "choose_plan" && !props.justSubmitted) {
    return (
      <div>
        <ButtonLink href={paths.onboarding}>Choose a plan</ButtonLink>
      </div>
    );
  }
  if (!props.stripePublishableKey) return null;
  const confirming = action?.type === "confirm_setup" || action?.type === "confirm_payment";
  if (status.state === "action_required" && confirming) {
    return <ConfirmCard clientSecret={action.clientSecret} onDone={onSubmitted} />;
  }
  if (status.state === "payment_failed") {
    // A fresh form for each refusal, even when two arrive between polls.
    const refusal = status.steps.find((step) => step.id === "payment-method")?.at ?? "";
    return <NewCard key={refusal} props={props} onSubmitted={onSubmitted} />;
  }
  return null;
}

/**
 * 3-D Secure of the card (a SetupIntent) or of the first payment (a PaymentIntent): Stripe.js
 * shows the bank's check, then the run is told to look at the intent.
 */
function ConfirmCard({ clientSecret, onDone }: { clientSecret: string; onDone: () => void }) {
  const stripe = useStripe();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sent, setSent] = useState<string | null>(null);

  if (sent === clientSecret) {
    return (
      <Alert tone="info">
        <span className="flex items-center gap-2">
          <Spinner className="size-4" /> Thanks. Checking with your bank…
        </span>
      </Alert>
    );
  }

  async function confirm() {
    if (!stripe || busy) return;
    setBusy(true);
    setError(null);
    const result = await stripe.handleNextAction({ clientSecret });
    // Told either way: on a failed check the run finds the card refused and asks for another.
    // The client secret is "<SetupIntent or PaymentIntent id>_secret_…": the run waits on it.
    const reported = await reportCardConfirmation({
      intentId: clientSecret.split("_secret_")[0]!,
    });
    setBusy(false);
    if (reported.error) {
      setError(reported.error);
      return;
    }
    if (result.error) setError(result.error.message ?? "Your bank did not confirm the card.");
    else setSent(clientSecret);
    onDone();
  }

  return (
    <Card className="space-y-4">
      <p className="text-sm text-slate-700">
        A window from your bank will open. Approve the request there, then come back here.
      </p>
      {error && <Alert tone="error">{error}</Alert>}
      <Button onClick={confirm} busy={busy} disabled={!stripe}>
        Confirm with my bank
      </Button>
    </Card>
  );
}

/** After a decline: another card continues the same run, no need to start over. */
function NewCard({ props, onSubmitted }: { props: ProgressProps; onSubmitted: () => void }) {
  const collectCard = useCollectCard();
  const [busy, setBusy] = useState(false);
  const [cardError, setCardError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tier, setTier] = useState<Tier | undefined>(props.tier);
  const [askPlan, setAskPlan] = useState(false);
  const [sentAt, setSentAt] = useState<number | null>(null);

  async function save(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setCardError(null);
    setError(null);
    try {
      const card = await collectCard(null);
      if ("error" in card) {
        setCardError(card.error);
        return;
      }
      const result = await submitNewCard({ confirmationToken: card.confirmationToken, tier });
      if (result.needsPlan) {
        setAskPlan(true);
        setTier((current) => current ?? props.plans[0]?.tier);
      }
      if (result.error) {
        setError(result.error);
        return;
      }
      setSentAt(Date.now());
      onSubmitted();
    } finally {
      setBusy(false);
    }
  }

  if (sentAt) {
    return (
      <Alert tone="info">
        <span className="flex items-center gap-2">
          <Spinner className="size-4" /> Trying your new card…
        </span>
      </Alert>
    );
  }

  return (
    <Card>
      <form onSubmit={save} noValidate className="space-y-5" aria-label="Use another card">
        <h2 className="text-base font-semibold text-slate-900">Use another card</h2>
        {error && <Alert tone="error">{error}</Alert>}
        {askPlan && tier && (
          <PlanPicker
            plans={props.plans}
            trialDays={props.trialDays}
            value={tier}
            onChange={setTier}
          />
        )}
        <CardField error={cardError} label="New card" />
        <Button type="submit" busy={busy}>
          {busy ? "Saving…" : "Save card and continue"}
        </Button>
      </form>
    </Card>
  );
}

/** The support address; the subject carries the run's reference, so support can open the run. */
function SupportLink({ email, reference }: { email: string; reference?: string }) {
  const subject = reference
    ? `?subject=${encodeURIComponent(`Account setup (reference ${reference})`)}`
    : "";
  return (
    <a className="font-medium underline" href={`mailto:${email}${subject}`}>
      {email}
    </a>
  );
}

function SupportReference({ reference }: { reference?: string }) {
  if (!reference) return null;
  return (
    <p className="text-sm">
      Reference: <code className="font-mono break-all select-all">{reference}</code>
    </p>
  );
}
