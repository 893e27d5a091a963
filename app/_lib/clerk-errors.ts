import { isClerkAPIResponseError, isClerkRuntimeError } from "@clerk/nextjs/errors";

/** Clerk's error codes we expect on the sign-up and sign-in forms, in plain words. */
const plainWords: Record<string, string> = {
  form_identifier_exists: "An account with this email already exists. Sign in instead.",
  form_identifier_not_found: "No account uses this email. Check it, or create an account.",
  form_param_format_invalid: "Enter a valid email address, like name@example.com.",
  form_code_incorrect: "That code isn't right. Check the latest email from us and try again.",
  verification_expired: "That code has expired. Send a new one and try again.",
  verification_failed: "Too many wrong codes. Send a new code and try again.",
  too_many_requests: "Too many attempts. Wait a minute, then try again.",
  session_exists: "You're already signed in.",
};

interface FieldErrorLike {
  code: string;
  message: string;
  longMessage?: string;
}

/** A field error from Clerk's `errors.fields`, in plain words. */
function plainFieldError(error: FieldErrorLike | null | undefined): string | null {
  if (!error) return null;
  return plainWords[error.code] ?? error.longMessage ?? error.message;
}

/** Any error a Clerk call returned, in plain words, for the form's general error area. */
export function plainClerkError(error: unknown): string {
  if (isClerkAPIResponseError(error)) {
    const [first] = error.errors;
    if (first) return plainFieldError(first) ?? first.message;
  }
  if (isClerkRuntimeError(error) && error.code === "network_error") {
    return "We couldn't reach the sign-in service. Check your connection and try again.";
  }
  return "Something went wrong on our side. Please try again.";
}

/** Whether an error returned by a Clerk call is about one of the form's fields. */
export function isFieldError(error: unknown, paramNames: string[]): boolean {
  return (
    isClerkAPIResponseError(error) &&
    error.errors.some((item) => item.meta?.paramName && paramNames.includes(item.meta.paramName))
  );
}

/** The code of the first API error, e.g. "form_identifier_exists". */
export function clerkErrorCode(error: unknown): string | null {
  return isClerkAPIResponseError(error) ? (error.errors[0]?.code ?? null) : null;
}
