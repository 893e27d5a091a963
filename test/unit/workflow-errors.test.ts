import { ClerkAPIResponseError } from "@clerk/backend/errors";
import { NonRetriableError, RetryAfterError } from "inngest";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { clerkOutageWait, toWorkflowError } from "@/inngest/middleware/workflow-errors";
import { AccountDeletedError } from "@/lib/errors";
import { ResendError } from "@/lib/vendors/resend";

/**
 * A run's failure reason reaches the user (GET /api/onboarding/status): a vendor's refusal becomes
 * a sentence of ours, and the vendor's own words (ids, parameters, internals) stay in the cause,
 * which the log carries (issue 15).
 */
const secretDetail = "No such price: 'price_internal_42' on acct_1Internal (request req_abc)";

const stripeError = (type: typeof Stripe.errors.StripeError, raw: Record<string, unknown>) =>
  new (type as unknown as new (raw: unknown) => Stripe.errors.StripeError)({
    message: secretDetail,
    ...raw,
  });

const clerkError = (status: number) =>
  new ClerkAPIResponseError(secretDetail, {
    status,
    data: [{ code: "form_param_unknown", message: secretDetail, long_message: secretDetail }],
  });

const paymentProviderRefused =
  "Our payment provider refused a request we made for your account. Please contact support.";

describe("toWorkflowError: what the user reads when a vendor refuses for good", () => {
  const cases: [string, unknown, string][] = [
    [
      "Stripe: a missing object",
      stripeError(Stripe.errors.StripeInvalidRequestError, { code: "resource_missing" }),
      "Something our payment provider needs for your account is missing. Please contact support.",
    ],
    [
      "Stripe: a rejected request",
      stripeError(Stripe.errors.StripeInvalidRequestError, { param: "items[0][price]" }),
      paymentProviderRefused,
    ],
    [
      "Stripe: a spent ConfirmationToken",
      stripeError(Stripe.errors.StripeInvalidRequestError, { param: "confirmation_token" }),
      "Your card details expired. Please enter them again.",
    ],
    [
      "Stripe: a declined card",
      stripeError(Stripe.errors.StripeCardError, { code: "card_declined" }),
      "Your card was declined. Please use another card.",
    ],
    [
      "Stripe: an idempotency key reused with other parameters",
      stripeError(Stripe.errors.StripeIdempotencyError, {}),
      paymentProviderRefused,
    ],
    [
      "Stripe: a revoked key",
      stripeError(Stripe.errors.StripeAuthenticationError, {}),
      paymentProviderRefused,
    ],
    [
      "Clerk: a user that is gone",
      clerkError(404),
      "Your account could not be found; it may have been deleted. Please sign up again or contact support.",
    ],
    [
      "Clerk: a rejected request",
      clerkError(422),
      "Our account provider refused a request we made for your account. Please contact support.",
    ],
    [
      "Resend: a rejected email",
      new ResendError("validation_error", secretDetail, 422, undefined),
      "We could not send you an email. Please check your email address, or contact support.",
    ],
  ];

  it.each(cases)("%s", (_name, error, reason) => {
    const final = toWorkflowError(error);
    expect(final).toBeInstanceOf(NonRetriableError);
    expect((final as Error).message).toBe(reason);
    expect((final as Error).message).not.toMatch(/price_internal|acct_|req_/);
    // The detail is kept for the log.
    expect((final as Error).cause).toBe(error);
  });

  it("passes our own permanent errors' words through, and leaves transient ones to retry", () => {
    const deleted = new AccountDeletedError("user_1");
    expect(toWorkflowError(deleted)).toMatchObject({
      name: "NonRetriableError",
      message: deleted.message,
    });
    const outage = stripeError(Stripe.errors.StripeAPIError, { statusCode: 500 });
    expect(toWorkflowError(outage)).toBe(outage);
    expect(toWorkflowError(clerkError(429))).toBeInstanceOf(RetryAfterError);
  });

  it("waits out a Clerk outage (5xx, or no answer) longer after each try: hours in all, not minutes", () => {
    // How @clerk/backend reports a request that got no answer: no status.
    const noAnswer = new ClerkAPIResponseError("fetch failed", {
      data: [],
      status: undefined as unknown as number,
    });
    const waits = [0, 1, 2, 3, 4].map((attempt) => {
      const final = toWorkflowError(attempt % 2 ? clerkError(503) : noAnswer, attempt);
      expect(final).toBeInstanceOf(RetryAfterError);
      // Seconds, as Inngest reads it.
      return Number((final as RetryAfterError).retryAfter);
    });
    expect(waits).toEqual([...waits].sort((a, b) => a - b));
    expect(waits.reduce((sum, wait) => sum + wait, 0)).toBeGreaterThan(3 * 3_600);
    expect(clerkOutageWait(99)).toBe(clerkOutageWait(4));
  });
});
