import { render, toPlainText } from "@react-email/components";
import { and, eq } from "drizzle-orm";
import { NonRetriableError, RetryAfterError } from "inngest";
import type { ErrorResponse } from "resend";
import { getDb } from "@/lib/db/client";
import { emails, type EmailKind } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { resend } from "@/lib/resend";
import { TrialOfferEmail, trialOfferSubject } from "./templates/trial-offer";
import { WelcomeEmail, welcomeSubject } from "./templates/welcome";

export interface OnboardingEmail {
  userId: string;
  kind: EmailKind;
  to: string;
  firstName: string | null;
}

export type SendResult =
  | { kind: EmailKind; outcome: "sent"; transport: "resend" | "outbox" }
  | { kind: EmailKind; outcome: "already sent" };

/** The Resend idempotency key: one per user and kind, the same on every retry. */
export const emailIdempotencyKey = (userId: string, kind: EmailKind) => `${kind}/${userId}`;

/**
 * Sends one onboarding email at most once per user and kind. The emails row is the receipt: with
 * it the email is not sent again; without it the email is sent (through Resend under a per-user,
 * per-kind idempotency key, so a retry after a lost receipt is answered from Resend's cache) and
 * the receipt written. Without RESEND_API_KEY the row itself is the email: the dev outbox.
 */
export async function sendOnboardingEmail(email: OnboardingEmail): Promise<SendResult> {
  const db = await getDb();
  const [receipt] = await db
    .select({ id: emails.id })
    .from(emails)
    .where(and(eq(emails.clerkUserId, email.userId), eq(emails.kind, email.kind)));
  if (receipt) return { kind: email.kind, outcome: "already sent" };

  const content = await renderEmail(email);
  const message = { from: env.EMAIL_FROM, to: email.to, ...content };
  let resendId: string | null = null;
  if (resend) {
    const { data, error, headers } = await resend.emails.send(
      { ...message, tags: [{ name: "kind", value: email.kind }] },
      { idempotencyKey: emailIdempotencyKey(email.userId, email.kind) },
    );
    // Resend answers errors instead of throwing them.
    if (error) throw resendFailure(error, headers?.["retry-after"]);
    resendId = data.id;
  }

  const [row] = await db
    .insert(emails)
    .values({
      clerkUserId: email.userId,
      kind: email.kind,
      to: message.to,
      from: message.from,
      subject: message.subject,
      html: message.html,
      transport: resend ? "resend" : "outbox",
      resendId,
    })
    .onConflictDoNothing()
    .returning({ id: emails.id });
  // No row: a concurrent run wrote the receipt first (Resend answered both from one send).
  return row
    ? { kind: email.kind, outcome: "sent", transport: resend ? "resend" : "outbox" }
    : { kind: email.kind, outcome: "already sent" };
}

/**
 * Subject, HTML and text of one email. Nothing in it depends on the time of sending, so a retry
 * sends byte-identical parameters under the same idempotency key, as Resend requires.
 */
export async function renderEmail({
  kind,
  firstName,
}: Pick<OnboardingEmail, "kind" | "firstName">) {
  const template =
    kind === "welcome" ? (
      <WelcomeEmail firstName={firstName} dashboardUrl={new URL("/dashboard", env.APP_URL).href} />
    ) : (
      <TrialOfferEmail firstName={firstName} billingUrl={new URL("/dashboard", env.APP_URL).href} />
    );
  const html = await render(template);
  return {
    subject: kind === "welcome" ? welcomeSubject : trialOfferSubject,
    html,
    text: toPlainText(html),
  };
}

/**
 * Sorts a Resend error: rate limits and its own failures retry (after Retry-After when given);
 * anything else in 4xx (a bad address, a rejected sender, a reused key with other content) would
 * fail again, so it does not retry.
 */
function resendFailure(error: ErrorResponse | string, retryAfter: string | undefined) {
  // A non-object error body reaches us as the bare string.
  const {
    name,
    message: detail,
    statusCode: status,
  } = typeof error === "string"
    ? { name: "application_error", message: error, statusCode: null }
    : error;
  const message = `Resend refused the email (${name}): ${detail}`;
  if (status === 429 || name === "concurrent_idempotent_requests") {
    const seconds = Number(retryAfter);
    return new RetryAfterError(
      message,
      Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000,
    );
  }
  if (status !== null && status >= 400 && status < 500) return new NonRetriableError(message);
  return new Error(message);
}
