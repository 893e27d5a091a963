// The packages themselves, not the @react-email/components barrel, which also loads Tailwind and
// Prism on every cold start (about a second) for components these emails do not use.
import { render, toPlainText } from "@react-email/render";
import { and, eq } from "drizzle-orm";
import { getDb } from "@/lib/db/client";
import { emails, type EmailKind } from "@/lib/db/schema";
import { env } from "@/lib/env";
import { paths } from "@/lib/routes";
import { isUserDeleted } from "@/lib/users";
import { resend, sendEmail } from "@/lib/vendors/resend";
import { eraseStoredEmails } from "./erase";
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
  | { kind: EmailKind; outcome: "already sent" | "skipped: the account was deleted" };

/** The Resend idempotency key: one per user and kind, the same on every retry. */
const emailIdempotencyKey = (userId: string, kind: EmailKind) => `${kind}/${userId}`;

/**
 * Sends one onboarding email at most once per user and kind. The emails row is the receipt: with
 * it the email is not sent again; without it the email is sent (through Resend under a per-user,
 * per-kind idempotency key, so a retry after a lost receipt is answered from Resend's cache) and
 * the receipt written. Without RESEND_API_KEY the row itself is the email: the dev outbox. A user
 * deleted in Clerk gets nothing: the tombstone is read last before sending, and again once the
 * receipt is written, so a deletion in between leaves no address or body behind.
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
  if (await isUserDeleted(email.userId)) {
    return { kind: email.kind, outcome: "skipped: the account was deleted" };
  }
  let resendId: string | null = null;
  if (resend) {
    const sent = await sendEmail(
      resend,
      { ...message, tags: [{ name: "kind", value: email.kind }] },
      emailIdempotencyKey(email.userId, email.kind),
    );
    resendId = sent.id;
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
  // An erasure that ran while the email was on its way found no receipt to erase: the tombstone
  // is read again now that it is stored. An erasure starting later (it follows the tombstone)
  // finds the receipt itself.
  if (await isUserDeleted(email.userId)) await eraseStoredEmails(email.userId);
  // No row: a concurrent run wrote the receipt first (Resend answered both from one send).
  return row
    ? { kind: email.kind, outcome: "sent", transport: resend ? "resend" : "outbox" }
    : { kind: email.kind, outcome: "already sent" };
}

/**
 * Subject, HTML and text of one email. Nothing in it depends on the time of sending, so a retry
 * sends byte-identical parameters under the same idempotency key, as Resend requires.
 */
async function renderEmail({ kind, firstName }: Pick<OnboardingEmail, "kind" | "firstName">) {
  const template =
    kind === "welcome" ? (
      <WelcomeEmail
        firstName={firstName}
        dashboardUrl={new URL(paths.dashboard, env.APP_URL).href}
      />
    ) : (
      <TrialOfferEmail
        firstName={firstName}
        billingUrl={new URL(paths.dashboard, env.APP_URL).href}
      />
    );
  const html = await render(template);
  return {
    subject: kind === "welcome" ? welcomeSubject : trialOfferSubject,
    html,
    text: toPlainText(html),
  };
}
