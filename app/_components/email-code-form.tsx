"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { isFieldError, plainClerkError } from "@/app/_lib/clerk-errors";
import { Alert, Button, FieldError, inputClass } from "./ui";

const RESEND_COOLDOWN_SECONDS = 30;

export type CodeResult = { error: string | null; field?: boolean };

/** A refused code, in plain words; a wrong or expired code marks the code field itself. */
export const codeRejected = (error: unknown): CodeResult => ({
  error: plainClerkError(error),
  field: isFieldError(error, ["code"]),
});

/**
 * The second step of sign-up and sign-in: the code from the email. Used by both flows; the
 * caller says what verifying and resending mean.
 */
export function EmailCodeForm({
  email,
  onVerify,
  onResend,
  onChangeEmail,
  busy,
}: {
  email: string;
  onVerify: (code: string) => Promise<CodeResult>;
  onResend: () => Promise<CodeResult>;
  onChangeEmail: () => void;
  busy: boolean;
}) {
  const [code, setCode] = useState("");
  const [codeError, setCodeError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  // A deadline rather than a countdown of timers: right even when the tab's timers were throttled.
  const [resendAt, setResendAt] = useState(() => Date.now() + RESEND_COOLDOWN_SECONDS * 1000);
  const [now, setNow] = useState(() => Date.now());
  const cooldown = Math.max(0, Math.ceil((resendAt - now) / 1000));
  const [working, setWorking] = useState<"verify" | "resend" | null>(null);
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => input.current?.focus(), []);
  useEffect(() => {
    if (cooldown <= 0) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [cooldown]);

  const disabled = busy || working !== null;

  async function verify(event: FormEvent) {
    event.preventDefault();
    if (disabled) return;
    setFormError(null);
    setNotice(null);
    if (!/^\d{6}$/.test(code)) {
      setCodeError("Enter the 6-digit code from the email.");
      input.current?.focus();
      return;
    }
    setCodeError(null);
    setWorking("verify");
    const result = await onVerify(code);
    setWorking(null);
    if (result.error) {
      if (result.field) {
        setCodeError(result.error);
        input.current?.select();
      } else {
        setFormError(result.error);
      }
    }
  }

  async function resend() {
    if (disabled || cooldown > 0) return;
    setFormError(null);
    setCodeError(null);
    setNotice(null);
    setWorking("resend");
    const result = await onResend();
    setWorking(null);
    if (result.error) {
      setFormError(result.error);
    } else {
      setNotice(`We sent a new code to ${email}.`);
      setCode("");
      const sentAt = Date.now();
      setNow(sentAt);
      setResendAt(sentAt + RESEND_COOLDOWN_SECONDS * 1000);
      input.current?.focus();
    }
  }

  return (
    <form onSubmit={verify} noValidate className="space-y-5" aria-labelledby="code-heading">
      <div>
        <h2 id="code-heading" className="text-lg font-semibold text-slate-900">
          Check your email
        </h2>
        <p className="mt-1 text-sm text-slate-600">
          We sent a 6-digit code to <strong className="text-slate-900">{email}</strong>. It expires
          in 10 minutes.
        </p>
      </div>
      {notice && <Alert tone="success">{notice}</Alert>}
      {formError && <Alert tone="error">{formError}</Alert>}
      <div>
        <label htmlFor="code" className="mb-1.5 block text-sm font-medium text-slate-900">
          Verification code
        </label>
        <input
          ref={input}
          id="code"
          name="code"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9]*"
          maxLength={6}
          value={code}
          onChange={(event) => setCode(event.target.value.replace(/\D/g, "").slice(0, 6))}
          aria-invalid={codeError ? true : undefined}
          aria-describedby={codeError ? "code-error" : undefined}
          className={`${inputClass} max-w-48 text-center font-mono text-lg tracking-[0.5em]`}
        />
        <FieldError id="code-error">{codeError}</FieldError>
      </div>
      <div className="flex flex-col gap-3 sm:flex-row sm:items-center">
        <Button type="submit" busy={working === "verify"} disabled={disabled}>
          {working === "verify" ? "Verifying…" : "Verify email"}
        </Button>
        <Button
          variant="secondary"
          onClick={resend}
          busy={working === "resend"}
          disabled={disabled || cooldown > 0}
        >
          {cooldown > 0 ? `Resend code (${cooldown}s)` : "Resend code"}
        </Button>
        <Button variant="ghost" onClick={onChangeEmail} disabled={disabled}>
          Use a different email
        </Button>
      </div>
    </form>
  );
}
