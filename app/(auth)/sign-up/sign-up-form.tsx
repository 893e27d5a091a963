"use client";

import { useSignUp } from "@clerk/nextjs";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import {
  CardField,
  PaymentDetailsProvider,
  useCollectCard,
  type CollectedCard,
} from "@/app/_components/card-field";
import { EmailCodeForm, codeRejected, type CodeResult } from "@/app/_components/email-code-form";
import { PlanPicker, type PlanOption } from "@/app/_components/plan-picker";
import { TermsConsent } from "@/app/_components/terms-consent";
import { Alert, Button, Card, FieldError, inputClass } from "@/app/_components/ui";
import { clerkErrorCode, isFieldError, plainClerkError } from "@/app/_lib/clerk-errors";
import { navigateAfterFinalize } from "@/app/_lib/clerk-navigation";
import { isEmailAddress } from "@/app/_lib/email";
import type { Tier } from "@/lib/billing/plans";
import { paths } from "@/lib/routes";

interface Props {
  plans: PlanOption[];
  trialDays: number;
  initialTier: Tier;
  /** Null when billing is not configured: the trial then starts without a card. */
  stripePublishableKey: string | null;
}

/**
 * The hybrid sign-up: email, plan and card in one form. The card becomes a Stripe
 * ConfirmationToken, which rides along in Clerk's `unsafeMetadata` with the tier; once the email
 * code is verified, the workflows do the rest while /after-sign-up shows the progress.
 */
export function SignUpForm(props: Props) {
  if (!props.stripePublishableKey) return <SignUpFlow {...props} collectCard={null} />;
  return (
    <PaymentDetailsProvider publishableKey={props.stripePublishableKey}>
      <SignUpFlowWithCard {...props} />
    </PaymentDetailsProvider>
  );
}

function SignUpFlowWithCard(props: Props) {
  const collectCard = useCollectCard();
  return <SignUpFlow {...props} collectCard={collectCard} />;
}

function SignUpFlow({
  plans,
  trialDays,
  initialTier,
  collectCard,
}: Props & { collectCard: ((email: string) => Promise<CollectedCard>) | null }) {
  const { signUp, fetchStatus } = useSignUp();
  const router = useRouter();
  const [step, setStep] = useState<"details" | "code">("details");
  const [email, setEmail] = useState("");
  const [tier, setTier] = useState<Tier>(initialTier);
  const [emailError, setEmailError] = useState<string | null>(null);
  const [emailTaken, setEmailTaken] = useState(false);
  const [cardError, setCardError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const emailInput = useRef<HTMLInputElement>(null);

  const busy = submitting || fetchStatus === "fetching";

  async function submitDetails(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setEmailError(null);
    setEmailTaken(false);
    setCardError(null);
    setFormError(null);
    const emailAddress = email.trim();
    if (!isEmailAddress(emailAddress)) {
      setEmailError("Enter your email address, like name@example.com.");
      emailInput.current?.focus();
      return;
    }
    setSubmitting(true);
    try {
      const unsafeMetadata: { tier: Tier; confirmationToken?: string } = { tier };
      if (collectCard) {
        const card = await collectCard(emailAddress);
        if ("error" in card) {
          setCardError(card.error);
          return;
        }
        unsafeMetadata.confirmationToken = card.confirmationToken;
      }
      const created = await signUp.create({ emailAddress, unsafeMetadata });
      if (created.error) {
        if (isFieldError(created.error, ["email_address"])) {
          setEmailError(plainClerkError(created.error));
          setEmailTaken(clerkErrorCode(created.error) === "form_identifier_exists");
          emailInput.current?.focus();
        } else {
          setFormError(plainClerkError(created.error));
        }
        return;
      }
      const sent = await signUp.verifications.sendEmailCode();
      if (sent.error) {
        setFormError(plainClerkError(sent.error));
        return;
      }
      setStep("code");
    } finally {
      setSubmitting(false);
    }
  }

  async function verify(code: string): Promise<CodeResult> {
    const verified = await signUp.verifications.verifyEmailCode({ code });
    if (verified.error) return codeRejected(verified.error);
    if (signUp.status !== "complete") {
      return {
        error:
          "Your email is verified, but sign-up needs more details than this form asks for. Please contact support.",
      };
    }
    const finished = await signUp.finalize({
      navigate: navigateAfterFinalize(router, paths.afterSignUp),
    });
    return finished.error ? { error: plainClerkError(finished.error) } : { error: null };
  }

  async function resend(): Promise<CodeResult> {
    const sent = await signUp.verifications.sendEmailCode();
    return { error: sent.error ? plainClerkError(sent.error) : null };
  }

  return (
    <Card>
      {step === "code" && (
        <EmailCodeForm
          email={email.trim()}
          onVerify={verify}
          onResend={resend}
          onChangeEmail={() => {
            setStep("details");
            setTimeout(() => emailInput.current?.focus());
          }}
          busy={busy}
        />
      )}
      {/* Hidden, not unmounted, while the code is entered: going back keeps the email, plan and card. */}
      <form
        onSubmit={submitDetails}
        noValidate
        hidden={step !== "details"}
        aria-label="Sign up"
        className="space-y-6"
      >
        {formError && <Alert tone="error">{formError}</Alert>}
        <div>
          <label htmlFor="email" className="mb-1.5 block text-sm font-medium text-slate-900">
            Work email
          </label>
          <input
            ref={emailInput}
            id="email"
            name="email"
            type="email"
            autoComplete="email"
            placeholder="you@company.com"
            value={email}
            onChange={(event) => setEmail(event.target.value)}
            aria-invalid={emailError ? true : undefined}
            aria-describedby={emailError ? "email-error" : undefined}
            className={inputClass}
          />
          <FieldError id="email-error">
            {emailError}
            {emailTaken && (
              <>
                {" "}
                <Link href={paths.signIn} className="font-medium underline">
                  Go to sign in
                </Link>
              </>
            )}
          </FieldError>
        </div>
        <PlanPicker
          plans={plans}
          trialDays={trialDays}
          value={tier}
          onChange={setTier}
          disabled={busy}
        />
        {collectCard ? (
          <CardField error={cardError} />
        ) : (
          <Alert tone="info" title="No card needed here">
            Billing is not configured on this server, so your plan starts without payment details.
          </Alert>
        )}
        <TermsConsent
          plan={plans.find((plan) => plan.tier === tier)}
          trialDays={trialDays}
          card={Boolean(collectCard)}
        />
        <div className="space-y-3">
          <Button type="submit" busy={busy} className="w-full">
            {busy ? "Creating your account…" : "Start free trial"}
          </Button>
          <p className="text-center text-sm text-slate-600">
            Already have an account?{" "}
            <Link href={paths.signIn} className="font-medium text-brand-700 hover:underline">
              Sign in
            </Link>
          </p>
        </div>
      </form>
    </Card>
  );
}
