import { Resend, type CreateEmailOptions, type ErrorResponse } from "resend";
import { env } from "@/lib/env";
import { retryAfterMs, type VendorFailure } from "./failure";

/** The Resend client, or null without RESEND_API_KEY (emails then go to the dev outbox). */
export const resend: Resend | null = env.RESEND_API_KEY
  ? new Resend(env.RESEND_API_KEY, { baseUrl: env.RESEND_BASE_URL })
  : null;

/** Resend's answer when it refused: its SDK returns errors instead of throwing them. */
export class ResendError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number | null,
    readonly retryAfter: string | undefined,
  ) {
    super(`Resend refused the email (${code}): ${message}`);
    this.name = "ResendError";
  }
}

/** Sends one email under an idempotency key; throws ResendError when Resend refuses it. */
export async function sendEmail(client: Resend, email: CreateEmailOptions, idempotencyKey: string) {
  const { data, error, headers } = await client.emails.send(email, { idempotencyKey });
  if (error) throw resendError(error, headers?.["retry-after"]);
  return data;
}

function resendError(error: ErrorResponse | string, retryAfter: string | undefined) {
  // A non-object error body reaches us as the bare string.
  if (typeof error === "string")
    return new ResendError("application_error", error, null, retryAfter);
  return new ResendError(error.name, error.message, error.statusCode, retryAfter);
}

/**
 * What a Resend refusal means; null when it is not one. Rate limits and a key still being
 * processed retry (after Retry-After when given); any other 4xx (a bad address, a rejected
 * sender, a reused key with other content) would fail again.
 */
export function classifyResendError(error: unknown): VendorFailure | null {
  if (!(error instanceof ResendError)) return null;
  const vendor = "Resend";
  const message = error.message;
  if (error.status === 429 || error.code === "concurrent_idempotent_requests") {
    return {
      kind: "rate_limited",
      vendor,
      retryAfterMs: retryAfterMs(error.retryAfter, 1000),
      message,
    };
  }
  if (error.status !== null && error.status >= 400 && error.status < 500) {
    return { kind: "permanent", vendor, code: "rejected", message };
  }
  return { kind: "transient", vendor, message };
}
