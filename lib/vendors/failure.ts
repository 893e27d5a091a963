/**
 * What a vendor's error means for the caller, decided in one place per vendor (each vendor
 * module's `classify…Error`), so no other code inspects an SDK's errors:
 * - `permanent`: the same request fails again however often it is sent (a refused card, a
 *   deleted account, a request the vendor rejects). `code` says which, where callers differ.
 * - `rate_limited`: try again after `retryAfterMs`.
 * - `transient`: a 5xx, a timeout, a lost connection, a request still in flight: retry.
 */
type FailureCode =
  | "not_found"
  | "card_refused"
  | "token_refused"
  | "already_canceled"
  | "idempotency_conflict"
  | "rejected";

export type VendorFailure =
  | { kind: "permanent"; vendor: Vendor; code: FailureCode; message: string }
  | { kind: "rate_limited"; vendor: Vendor; retryAfterMs: number; message: string }
  | { kind: "transient"; vendor: Vendor; message: string };

type Vendor = "Stripe" | "Clerk" | "Resend";

/** A Retry-After header value in milliseconds, or the fallback when it is missing or unreadable. */
export function retryAfterMs(seconds: unknown, fallbackMs: number): number {
  const value = Number(seconds);
  return Number.isFinite(value) && value > 0 ? value * 1000 : fallbackMs;
}

/** What each vendor does for onramp, as the user knows it. */
const provider: Record<Vendor, string> = {
  Stripe: "our payment provider",
  Clerk: "our account provider",
  Resend: "our email provider",
};

/**
 * What the user reads when a vendor refused for good: our own words, one sentence per kind of
 * refusal, saying what they can do. The vendor's message is for the log (it can carry ids,
 * parameters or internal details), never for the user.
 */
export function reasonForUser(failure: Extract<VendorFailure, { kind: "permanent" }>): string {
  switch (failure.code) {
    case "card_refused":
      return "Your card was declined. Please use another card.";
    case "token_refused":
      return "Your card details expired. Please enter them again.";
    case "not_found":
      return failure.vendor === "Clerk"
        ? "Your account could not be found; it may have been deleted. Please sign up again or contact support."
        : `Something ${provider[failure.vendor]} needs for your account is missing. Please contact support.`;
    case "already_canceled":
      return "The subscription was already canceled.";
    case "idempotency_conflict":
    case "rejected":
      return failure.vendor === "Resend"
        ? "We could not send you an email. Please check your email address, or contact support."
        : `${capitalized(provider[failure.vendor])} refused a request we made for your account. Please contact support.`;
  }
}

const capitalized = (text: string) => text[0]!.toUpperCase() + text.slice(1);
