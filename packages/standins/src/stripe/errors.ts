import type Stripe from "stripe";
import type { Reply } from "../standin";

/** The `error` object of Stripe's error responses (https://docs.stripe.com/api/errors). */
export type StripeError = Stripe.StripeRawError & {
  type: "card_error" | "invalid_request_error" | "idempotency_error" | "api_error";
  message: string;
};

/** An error reply as Stripe sends it: `{ error }` with the HTTP status. */
export const fail = (status: number, error: StripeError): Reply => ({ status, body: { error } });

/** `resource_missing`: 404 for the path's object, 400 for an object named by a parameter. */
export const missing = (kind: string, id: string, param?: string): Reply =>
  fail(param ? 400 : 404, {
    type: "invalid_request_error",
    code: "resource_missing",
    message: `No such ${kind}: '${id}'`,
    param: param ?? "id",
  });

export const parameterMissing = (param: string): Reply =>
  fail(400, {
    type: "invalid_request_error",
    code: "parameter_missing",
    param,
    message: `Missing required param: ${param}.`,
  });

export const parameterUnknown = (param: string): Reply =>
  fail(400, {
    type: "invalid_request_error",
    code: "parameter_unknown",
    param,
    message: `Received unknown parameter: ${param}`,
  });

/** Stripe's error body for an injected failure of this status. */
export function injectedFailureBody(status: number): { error: StripeError } {
  if (status === 429)
    return {
      error: {
        type: "invalid_request_error",
        code: "rate_limit",
        message: "Too many requests (injected).",
      },
    };
  if (status === 402)
    return {
      error: {
        type: "card_error",
        code: "card_declined",
        decline_code: "generic_decline",
        message: "Your card was declined. (injected)",
      },
    };
  return {
    error: {
      type: status >= 500 ? "api_error" : "invalid_request_error",
      message: `Injected failure ${status}.`,
    },
  };
}
