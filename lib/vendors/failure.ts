/**
 * What a vendor's error means for the caller, decided in one place per vendor (each vendor
 * module's `classify…Error`), so no other code inspects an SDK's errors:
 * - `permanent`: the same request fails again however often it is sent (a refused card, a
 *   deleted account, a request the vendor rejects). `code` says which, where callers differ.
 * - `rate_limited`: try again after `retryAfterMs`.
 * - `transient`: a 5xx, a timeout, a lost connection, a request still in flight: retry.
 */
export type FailureCode =
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

export type Vendor = "Stripe" | "Clerk" | "Resend";

/** A Retry-After header value in milliseconds, or the fallback when it is missing or unreadable. */
export function retryAfterMs(seconds: unknown, fallbackMs: number): number {
  const value = Number(seconds);
  return Number.isFinite(value) && value > 0 ? value * 1000 : fallbackMs;
}
