"use client";

import { useSignIn } from "@clerk/nextjs";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { EmailCodeForm, codeRejected, type CodeResult } from "@/app/_components/email-code-form";
import { Alert, Button, Card, FieldError, inputClass } from "@/app/_components/ui";
import { isFieldError, plainClerkError } from "@/app/_lib/clerk-errors";
import { navigateAfterFinalize } from "@/app/_lib/clerk-navigation";
import { isEmailAddress } from "@/app/_lib/email";
import { paths } from "@/lib/routes";

/** Sign-in by email code, then back to where the visitor was going (proxy.ts decides the rest). */
export function SignInForm({ redirectTo }: { redirectTo: string }) {
  const { signIn, fetchStatus } = useSignIn();
  const router = useRouter();
  const [step, setStep] = useState<"email" | "code">("email");
  const [email, setEmail] = useState("");
  const [emailError, setEmailError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [submitting, setSubmitting] = useState(false);
  const emailInput = useRef<HTMLInputElement>(null);
  const busy = submitting || fetchStatus === "fetching";

  async function submitEmail(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setEmailError(null);
    setFormError(null);
    const identifier = email.trim();
    if (!isEmailAddress(identifier)) {
      setEmailError("Enter your email address, like name@example.com.");
      emailInput.current?.focus();
      return;
    }
    setSubmitting(true);
    try {
      const created = await signIn.create({ identifier });
      if (created.error) {
        if (isFieldError(created.error, ["identifier"])) {
          setEmailError(plainClerkError(created.error));
          emailInput.current?.focus();
        } else {
          setFormError(plainClerkError(created.error));
        }
        return;
      }
      const sent = await signIn.emailCode.sendCode();
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
    const verified = await signIn.emailCode.verifyCode({ code });
    if (verified.error) return codeRejected(verified.error);
    if (signIn.status !== "complete") {
      return {
        error:
          "Your account needs a second step this page doesn't support yet. Please contact support.",
      };
    }
    const finished = await signIn.finalize({ navigate: navigateAfterFinalize(router, redirectTo) });
    return finished.error ? { error: plainClerkError(finished.error) } : { error: null };
  }

  async function resend(): Promise<CodeResult> {
    const sent = await signIn.emailCode.sendCode();
    return { error: sent.error ? plainClerkError(sent.error) : null };
  }

  return (
    <Card>
      {step === "code" ? (
        <EmailCodeForm
          email={email.trim()}
          onVerify={verify}
          onResend={resend}
          onChangeEmail={() => setStep("email")}
          busy={busy}
        />
      ) : (
        <form onSubmit={submitEmail} noValidate aria-label="Sign in" className="space-y-6">
          {formError && <Alert tone="error">{formError}</Alert>}
          <div>
            <label htmlFor="email" className="mb-1.5 block text-sm font-medium text-slate-900">
              Email
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
            <FieldError id="email-error">{emailError}</FieldError>
          </div>
          <Button type="submit" busy={busy} className="w-full">
            {busy ? "Sending a code…" : "Email me a sign-in code"}
          </Button>
          <p className="text-center text-sm text-slate-600">
            New here?{" "}
            <Link href={paths.signUp} className="font-medium text-brand-700 hover:underline">
              Start a free trial
            </Link>
          </p>
        </form>
      )}
    </Card>
  );
}
